"""Score every shipped model on every phenomenon suite: accuracy, turn rate, pairs with both right.

    python -m benchmarks.suites                       # the models in pretrained/
    python -m benchmarks.suites --pretrained mymodels --misses contrast   # and list contrast misses
"""
from __future__ import annotations

import argparse

import torch

from models.pretrained import ARCHS, PRETRAINED_DIR, load_pretrained
from models.training.suites import HELDOUT_SUITES, SUITES, SUITES_DIR, load_suite, run_suite, summarize

_COLUMNS = (("accuracy", "acc"), ("turn_rate", "turn"), ("halves_right", "halves"),
            ("turn_rate_understood", "turn|h"), ("pairs_right", "pairs"),
            ("flip_rate", "flip"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrained", default=PRETRAINED_DIR, help="folder with vocab.json and the model files")
    parser.add_argument("--misses", choices=SUITES + HELDOUT_SUITES, action="append", default=[],
                        help="also list the sentences of this suite that a model gets wrong or does not turn on")
    args = parser.parse_args()
    torch.set_num_threads(2)
    names = SUITES + HELDOUT_SUITES
    suites = {name: load_suite(SUITES_DIR / f"{name}.tsv") for name in names if (SUITES_DIR / f"{name}.tsv").is_file()}
    print("acc: final label right; turn: on the first half's side before the connective and right at the end;\n"
          "halves: both halves, read alone, right; turn|h: turn rate where both halves are right; pairs: both right;\n"
          "flip: negated sentence right where its plain one is (negation_heldout: frozen, never tuned on)")
    print(f"{'model':6} {'suite':16} {'n':>4} " + " ".join(f"{short:>6}" for _, short in _COLUMNS))
    for arch in ARCHS:
        model = load_pretrained(arch, args.pretrained)
        for name, items in suites.items():
            results = run_suite(model, items)
            summary = summarize(name, results)
            cells = " ".join(f"{summary[k]:6.1%}" if k in summary else f"{'':6}" for k, _ in _COLUMNS)
            print(f"{arch:6} {name:16} {summary['examples']:4d} {cells}")
            if name in args.misses:
                for r in results:
                    if not r.right or (r.item.connective and not r.turned):
                        p = r.probabilities[:, model.labels.index(r.item.label)]
                        print(f"       miss: {r.item.text}  want {r.item.label}, got {r.predicted}, "
                              f"before turn {r.before_turn}, halves alone {r.halves}, P(want) end {p[-1]:.2f}")


if __name__ == "__main__":
    main()
