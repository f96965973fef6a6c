"""The units page (at /units): which single units of a model track a property of the text, found automatically.

Choose a model (a character language model, or a sentiment classifier that reads words) and a property (six
built in, or the person's own regular expression). The page ranks every unit of a state by Pearson's r with the
property over the test split, beside the shuffled-property baseline; shows the top units as bars and a table; tints
example test texts by the chosen unit with the property underlined; and, for the language models, the single unit
that best says positive or negative at the end of a review (from their cards). Built-in rankings come from the
cache on disk (``pretrained/unit_rankings.json``, written by ``python -m models.train_lm --units``); a missing or
stale one, and a person's pattern, is computed here with a progress bar. The numbers come from
``models.asking.units``; the figures from ``viz.units``; the link from ``ui.units_links``.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import streamlit as st

from models.asking import units as asking
from models.lm import LanguageModel, load_language_model
from models.pretrained import PretrainedError
from models.units import CUSTOM, MAX_PATTERN, PROPERTIES, REGEX_TIMEOUT, UnitError, compile_pattern, ranking_key
from ui import state, units_links
from ui.common import show
from ui.i18n import DEFAULT_LANG, error_text, t
from ui.page_url import open_page_link, show_link_notes, sync_url
from ui.source import LANG_KEY
from ui.tabs import withheld_on
from ui.units_links import MODELS, UnitsView
from viz import units as figures
from viz.export import file_name

MODEL_KEY, PROPERTY_KEY, STATE_KEY, UNIT_KEY = "units_model", "units_property", "units_state", "units_unit"
PATTERN_KEY = "units_pattern"  # the pattern ranked (set by the form's button or a link)
PATTERN_INPUT_KEY = "units_pattern_input"  # the form's text box
UNIT_FOR_KEY = "units_unit_for"  # the ranking (model, state, property, pattern) the unit shown was chosen in
LINKED = "link"  # UNIT_FOR_KEY before any ranking: the unit, if any, came from a link
APPLIED_KEY = "units_link_applied"  # the URL's view was applied in this session
NOTES_KEY = "units_link_notes"  # what a link held that the page ignored
KEPT_KEYS = (MODEL_KEY, PROPERTY_KEY, STATE_KEY, UNIT_KEY, PATTERN_INPUT_KEY)
DEFAULTS = {MODEL_KEY: MODELS[0], PROPERTY_KEY: "in_brackets", STATE_KEY: "cell", PATTERN_INPUT_KEY: "不.{0,3}好"}
LANGUAGE_MODELS = tuple(m for m in MODELS if m.startswith("lm_"))
CLASSIFIERS = tuple(m for m in MODELS if not m.startswith("lm_"))
SHOWN_UNITS = 10  # units drawn and listed (the cache keeps models.units.TOP_UNITS)
KEPT_RESULTS = 64  # rankings kept in memory per process (built-in and patterns)
DEFAULT_BASE = "http://localhost:8501/units"
TINT_PERCENTILE = 95  # |value| of the examples that gets the deepest tint (a few large values would wash out the rest)
CLOSE_GAP = 0.05  # a sentiment unit within this accuracy of the full model is called close, else weak
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}

STRINGS = {
    "zh": {
        "title": "自己找到特征的单元",
        "intro": "有些单元没有人教，却自己学会了跟踪文字的某个性质：在不在括号里、离上一个标点多远……"
                 "这一页在测试集上把每个单元的取值和一个性质逐字比较（皮尔逊相关系数 r），"
                 "把最相关的单元排在前面，并和“打乱性质之后最好的单元”这个基线放在一起。",
        "model": "模型",
        "model_lm": "字符语言模型 {cell}（{name}）",
        "model_classifier": "情感分类模型 {cell}（{name}，按词读）",
        "state": "状态",
        "state_hidden": "隐藏状态 h",
        "state_cell": "细胞状态 c",
        "property": "性质",
        "prop_in_brackets": "在括号或引号里",
        "prop_since_punctuation": "离上一个标点的字数（分句长度）",
        "prop_in_digits": "在一串数字里",
        "prop_after_negator": "在同一分句的否定词之后",
        "prop_next_is_punctuation": "下一个字是标点",
        "prop_in_latin_word": "在拉丁字母单词里",
        "prop_custom": "你的正则表达式：{pattern}",
        "explain_in_brackets": "字在《》“”（）「」() 这些括号或引号之内时为 1，否则为 0（括号本身为 0，嵌套也算）。",
        "explain_since_punctuation": "从上一个标点算起的字数：标点处为 0，标点后的第一个字为 1，依次加一。",
        "explain_in_digits": "字是数字（0–9 等）时为 1。",
        "explain_after_negator": "同一分句里前面出现过“不”“没”“别”时为 1；遇到标点就重新开始。",
        "explain_next_is_punctuation": "下一个字是标点时为 1：模型要预测标点的地方。",
        "explain_in_latin_word": "字是拉丁字母（a–z、A–Z）时为 1。",
        "explain_custom": "你的正则表达式匹配到的字为 1，其余为 0。",
        "word_tokens": "这个模型按词读（jieba 分词）：一个词取它第一个字的性质。",
        "pattern_heading": "你自己的性质",
        "pattern": "正则表达式（在文字上匹配；匹配到的字为 1）",
        "pattern_rank": "给单元排序",
        "pattern_help": "例如 `不.{{0,3}}好`、`[0-9]+元`、`！|？`。每段文字最多运行 {seconds} 秒。",
        "no_match": "这个正则表达式在测试文字里一个字也没有匹配到：没有可以比较的性质。换一个试试。",
        "all_match": "这个正则表达式匹配了所有的字：性质没有变化，无法比较。换一个试试。",
        "from_cache": "排序读自磁盘上的缓存 {file}（由 `python -m models.train_lm --units` 写入，"
                      "对应这些模型文件）。",
        "computed": "缓存里没有这个模型的排序（文件不存在，或是为别的模型文件算的）：刚刚在 {texts} 段测试文字上算出，"
                    "用了 {seconds:.1f} 秒。",
        "computed_saved": "已写入缓存 {file}。",
        "computed_memory": "无法写入 {file}：只保存在内存里。",
        "computed_pattern": "在 {texts} 段测试文字上算出，用了 {seconds:.1f} 秒（同一个正则表达式再来会直接读取）。",
        "progress": "正在读测试文字：{done}/{total}",
        "progress_values": "正在读整条测试评论：{done}/{total}",
        "ranking_heading": "排名",
        "ranking_caption": "每个单元在 {steps} 个字位上与性质的 r；虚线是基线：把性质在字位间随机打乱后，"
                           "最好的单元也能达到的 |r| = {baseline:.3f}。柱子越出虚线越多，越不像是碰巧。",
        "best": "最好的单元：{state} 的单元 {unit}，r = {r:+.3f}，是基线的 {ratio:.1f} 倍。",
        "table_rank": "名次",
        "table_unit": "单元",
        "table_r": "r",
        "table_ratio": "|r| / 基线",
        "unit": "看哪个单元",
        "unit_name": "单元 {unit}（r = {r:+.3f}）",
        "unit_plain": "单元 {unit}",
        "examples_heading": "例子：按单元 {unit} 的取值给字上色",
        "examples_caption": "红色表示单元取值为正，蓝色为负，越深绝对值越大（|值| ≥ {limit:.2f} 时最深）；"
                            "下划线标出性质成立的字（越粗越黑，性质的值越大）。鼠标停在字上可以看到数字。",
        "no_examples": "测试文字里找不到这个性质有变化的例子。",
        "sentiment_heading": "情感单元：只看一个单元，能分出好评和差评吗？",
        "sentiment_caption": "语言模型只学过预测下一个字，从没见过好评差评的标签。"
                             "对每个单元，只看它读完整条评论后的值，"
                             "用一个阈值来分：单元和阈值在验证集上选出，然后在测试集上只评一次。"
                             "同一测试集上完整的情感分类模型：{full}。",
        "sentiment_row": "{model}：{state} 的单元 {unit}，测试准确率 {test:.1%}（验证 {validation:.1%}）",
        "sentiment_none": "{model}：卡片里还没有情感单元（用 `python -m models.train_lm --units` 求出）。",
        "sentiment_weak": "比完整的情感模型差 {gap:.1%}：一个单元只抓住了一部分情感。弱也是一个结果。",
        "sentiment_strong": "和完整的情感模型只差 {gap:.1%}。",
        "sentiment_figure": "{model} 的情感单元在 {count} 条测试评论读完时的值（按好评、差评分开），虚线是阈值；"
                            "照这个阈值分，准确率 {accuracy:.1%}。",
        "no_models": "没有找到可以排序的模型：{error}",
        "no_models_hint": "用 `python -m models.train_lm` 训练字符语言模型，"
                          "或者把 RNN_GATES_PRETRAINED 指向放着模型的文件夹。",
        "export_heading": "分享与导出",
        "link_caption": "这个链接会打开同样的模型、性质和单元：",
        "link_copy": "复制链接",
        "export_csv": "这张排名表（CSV）",
    },
    "en": {
        "title": "Units that found a feature",
        "intro": "Some units, taught nothing about it, learn to track a property of the text on their own: inside "
                 "brackets or not, how far since the last punctuation mark… This page compares every unit's value with "
                 "a property, character by character over the test split (Pearson's r), ranks the units, and puts "
                 "the score beside a baseline: the best a unit reaches against the property shuffled.",
        "model": "Model",
        "model_lm": "Character language model: {cell} ({name})",
        "model_classifier": "Sentiment classifier: {cell} ({name}, reads words)",
        "state": "State",
        "state_hidden": "hidden state h",
        "state_cell": "cell state c",
        "property": "Property",
        "prop_in_brackets": "inside brackets or quotes",
        "prop_since_punctuation": "characters since the last punctuation mark (clause length)",
        "prop_in_digits": "inside a run of digits",
        "prop_after_negator": "after a negator within the clause",
        "prop_next_is_punctuation": "the next character is punctuation",
        "prop_in_latin_word": "inside a Latin-letter word",
        "prop_custom": "your regular expression: {pattern}",
        "explain_in_brackets": "1 for a character inside 《》“”（）「」() brackets or quotes, else 0 (the brackets "
                               "themselves are 0; nesting counts).",
        "explain_since_punctuation": "How many characters since the last punctuation mark: 0 at a mark, 1 right "
                                     "after it, and so on.",
        "explain_in_digits": "1 for a digit (0–9 and the like).",
        "explain_after_negator": "1 after 不, 没 or 别 earlier in the same clause; a punctuation mark starts over.",
        "explain_next_is_punctuation": "1 where the next character is a punctuation mark: where the model must "
                                       "predict one.",
        "explain_in_latin_word": "1 for a Latin letter (a–z, A–Z).",
        "explain_custom": "1 for the characters your regular expression matches, 0 elsewhere.",
        "word_tokens": "This model reads words (segmented by jieba): a word has a character property where its "
                       "first character has it.",
        "pattern_heading": "Your own property",
        "pattern": "Regular expression (matched on the text; the characters it matches are 1)",
        "pattern_rank": "Rank the units",
        "pattern_help": "For example `不.{{0,3}}好`, `[0-9]+元`, `！|？`. It may run {seconds} s on each text.",
        "no_match": "This regular expression matches no character of the test texts: there is no property to "
                    "compare with. Try another.",
        "all_match": "This regular expression matches every character: the property never changes, so nothing can "
                     "be compared. Try another.",
        "from_cache": "Ranking read from the cache on disk, {file} (written by `python -m models.train_lm --units` "
                      "for these model files).",
        "computed": "The cache has no ranking for this model (no file, or one made for other model files): computed "
                    "now over {texts} test texts in {seconds:.1f} s.",
        "computed_saved": "Saved to the cache, {file}.",
        "computed_memory": "{file} cannot be written: kept in memory only.",
        "computed_pattern": "Computed over {texts} test texts in {seconds:.1f} s (the same expression again is read "
                            "back at once).",
        "progress": "Reading the test texts: {done}/{total}",
        "progress_values": "Reading whole test reviews: {done}/{total}",
        "ranking_heading": "The ranking",
        "ranking_caption": "Each unit's r with the property over {steps} character positions; the dashed lines are "
                           "the baseline: with the property shuffled across the positions, the best unit still "
                           "reaches |r| = {baseline:.3f}. The further a bar goes past them, the less it is chance.",
        "best": "Best unit: {state} unit {unit}, r = {r:+.3f}, {ratio:.1f} times the baseline.",
        "table_rank": "rank",
        "table_unit": "unit",
        "table_r": "r",
        "table_ratio": "|r| / baseline",
        "unit": "Unit shown",
        "unit_name": "unit {unit} (r = {r:+.3f})",
        "unit_plain": "unit {unit}",
        "examples_heading": "Examples: the text tinted by unit {unit}",
        "examples_caption": "Red: the unit's value is above 0, blue: below; the deeper, the larger |value| (deepest "
                            "from {limit:.2f} on). Underlined: where the property holds (thicker and darker for a "
                            "larger value). Hover a character for the numbers.",
        "no_examples": "No test text in which this property changes.",
        "sentiment_heading": "The sentiment unit: does one unit tell good reviews from bad?",
        "sentiment_caption": "The language models only learnt to predict the next character; they never saw a "
                             "label. For each unit, its value after the whole review and one threshold: the unit and "
                             "the threshold chosen on validation, scored once on test. The full sentiment models on "
                             "the same test split: {full}.",
        "sentiment_row": "{model}: {state} unit {unit}, test accuracy {test:.1%} (validation {validation:.1%})",
        "sentiment_none": "{model}: no sentiment unit in its card yet (`python -m models.train_lm --units` finds it).",
        "sentiment_weak": "{gap:.1%} below the full sentiment model: one unit holds only part of the sentiment. A "
                          "weak unit is a result too.",
        "sentiment_strong": "Only {gap:.1%} below the full sentiment model.",
        "sentiment_figure": "{model}'s sentiment unit after each of {count} test reviews (positive and negative "
                            "apart); dashed: the threshold. Split there, accuracy {accuracy:.1%}.",
        "no_models": "No models to rank: {error}",
        "no_models_hint": "Train the character language models with `python -m models.train_lm`, or point "
                          "RNN_GATES_PRETRAINED at a folder that holds models.",
        "export_heading": "Share and export",
        "link_caption": "This link opens the same model, property and unit:",
        "link_copy": "Copy the link",
        "export_csv": "This ranking (CSV)",
    },
}

FIGURE_LABELS = {  # viz.units' labels in Chinese (its English defaults are viz.units.UNITS_LABELS)
    "zh": {
        "title_ranking": "{property}：{state} 中 |r| 最大的单元",
        "unit": "单元 {unit}",
        "units": "单元（由好到差）",
        "r": "与性质的皮尔逊 r",
        "baseline": "打乱后的基线 ±{baseline:.3f}",
        "no_ranking": "没有排名",
        "hover_tint": "值 {value:+.3f} · 性质 {prop}",
        "title_sentiment": "{model}：{state} 的单元 {unit} 读完整条评论后的值，好评与差评",
        "value": "读完最后一个字后的值",
        "reviews": "评论条数",
        "positive": "好评",
        "negative": "差评",
        "threshold": "阈值 {threshold:+.3f}",
        "no_values": "没有读到评论",
    },
}


def _t(lang: str, key: str, **fmt: object) -> str:
    template = STRINGS.get(lang, STRINGS[DEFAULT_LANG]).get(key) or STRINGS[DEFAULT_LANG][key]
    return template.format(**fmt) if fmt else template


def _labels(lang: str) -> dict[str, str]:
    return dict(FIGURE_LABELS.get(lang, {}))


def heading(lang: str) -> tuple[str, str]:
    """The page's title and intro, for the frame."""
    return _t(lang, "title"), _t(lang, "intro")


def property_name(lang: str, prop: str, pattern: str | None = None) -> str:
    return _t(lang, f"prop_{prop}", pattern=pattern or "")


def model_name(lang: str, name: str) -> str:
    cell = CELL_NAMES[name.removeprefix("lm_")]
    return _t(lang, "model_lm" if name.startswith("lm_") else "model_classifier", cell=cell, name=name)


# --- models, the test split and results kept in memory ---------------------------------------------------------------

def _stamp(folder: str) -> tuple:
    """(name, size, mtime) of each language-model file in ``folder``: a changed file loads again."""
    out = []
    for name in ("lm_vocab.json", *(f"{m}.{ext}" for m in LANGUAGE_MODELS for ext in ("json", "safetensors"))):
        path = Path(folder) / name
        out.append((name, path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None)
    return tuple(out)


@st.cache_resource(max_entries=4, show_spinner=False)
def _language_models(folder: str, stamp: tuple) -> tuple[dict[str, LanguageModel], tuple[PretrainedError, ...]]:
    state._runtime()  # torch threads and jieba, once per process
    found, errors = {}, []
    for name in LANGUAGE_MODELS:
        if (Path(folder) / f"{name}.json").is_file():
            try:
                found[name] = load_language_model(name, folder)
            except PretrainedError as err:
                errors.append(err)
    return found, tuple(errors)


def unit_models() -> tuple[dict[str, asking.Model], tuple[PretrainedError, ...]]:
    """The page's models by name, in MODELS order (those the folder has), and the errors of those that failed."""
    folder = str(state.directory())
    language, errors = _language_models(folder, _stamp(folder))
    found: dict[str, asking.Model] = dict(language)
    try:
        classifiers = state._folder_models()  # the folder's, never a visitor's upload: results here are shared
    except PretrainedError as err:
        classifiers, errors = {}, (*errors, err)
    found.update({name: classifiers[name] for name in CLASSIFIERS if name in classifiers})
    return {name: found[name] for name in MODELS if name in found}, errors


@st.cache_resource(max_entries=1, show_spinner=False)
def _test_split() -> tuple[tuple[str, ...], tuple[int, ...]]:
    texts, labels = asking.test_split()
    return tuple(texts), tuple(labels)


class _Results:
    """Rankings and values computed in this process, shared by every session (keyed by the model files'
    fingerprint), the oldest dropped past KEPT_RESULTS."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple, dict] = OrderedDict()

    def get(self, key: tuple) -> dict | None:
        with self.lock:
            return self.kept.get(key)

    def put(self, key: tuple, value: dict) -> None:
        with self.lock:
            self.kept[key] = value
            while len(self.kept) > KEPT_RESULTS:
                self.kept.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _results() -> _Results:
    return _Results()


def _progress_bar(lang: str, key: str):
    bar = st.progress(0.0, text=_t(lang, key, done=0, total="…"))

    def update(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=_t(lang, key, done=done, total=total))

    return bar, update


def builtin_rankings(lang: str, model: asking.Model) -> dict:
    """The model's rankings of every built-in property, with ``source`` ("cache", or "computed" with ``seconds``
    and ``saved``): from memory, else the cache on disk, else computed now with a progress bar (then saved)."""
    texts, _ = _test_split()
    folder = state.directory()
    key = ranking_key(len(texts), asking.MAX_CHARS)
    kept_key = ("builtin", asking.cache_fingerprint(model), str(folder), key)
    found = _results().get(kept_key)
    if found is not None:
        return found
    stored = asking.stored_rankings(folder, model, key)
    if stored is not None:
        found = {"rankings": stored, "source": "cache"}
    else:
        bar, update = _progress_bar(lang, "progress")
        start = time.perf_counter()
        computed = asking.rank(model, texts, on_batch=update)
        bar.empty()
        found = {"rankings": computed, "source": "computed", "seconds": time.perf_counter() - start,
                 "saved": asking.store_rankings(folder, model, key, computed), "texts": len(texts)}
    _results().put(kept_key, found)
    return found


def pattern_rankings(lang: str, model: asking.Model, pattern: str) -> dict:
    """The model's ranking for ``pattern`` (``CUSTOM``), kept in memory by (model fingerprint, pattern); computed
    with a progress bar the first time. Raises UnitError as ``models.asking.units.rank``."""
    texts, _ = _test_split()
    kept_key = ("pattern", asking.cache_fingerprint(model), pattern)
    found = _results().get(kept_key)
    if found is not None:
        return found
    compile_pattern(pattern)  # an invalid pattern says so before any text is read
    bar, update = _progress_bar(lang, "progress")
    start = time.perf_counter()
    try:
        computed = asking.rank(model, texts, pattern=pattern, on_batch=update)
    finally:
        bar.empty()
    found = {"rankings": computed, "source": "pattern", "seconds": time.perf_counter() - start, "texts": len(texts)}
    _results().put(kept_key, found)
    return found


def sentiment_values(lang: str, model: LanguageModel, chosen: dict) -> dict:
    """The sentiment unit's value after each whole test review and the reviews' labels, kept in memory."""
    kept_key = ("sentiment", model.weights_fingerprint, chosen["state"], int(chosen["unit"]))
    found = _results().get(kept_key)
    if found is not None:
        return found
    texts, labels = _test_split()
    bar, update = _progress_bar(lang, "progress_values")
    values = asking.final_unit_values(model, texts, chosen["state"], int(chosen["unit"]), on_batch=update)
    bar.empty()
    found = {"values": values, "labels": asking.read_labels(texts, labels)}
    _results().put(kept_key, found)
    return found


# --- the link ------------------------------------------------------------------------------------------------------

def open_link() -> None:
    """Once per session, before any widget is drawn: the view a units link asks for (the frame calls it)."""
    open_page_link(APPLIED_KEY, NOTES_KEY, units_links.parse, apply_view)


def apply_view(view: UnitsView) -> None:
    """Set the page's widget keys to what ``view`` names (a link's, or a lesson step's)."""
    s = st.session_state
    for key, value in ((MODEL_KEY, view.model), (STATE_KEY, view.state), (UNIT_KEY, view.unit),
                       (PROPERTY_KEY, view.property)):
        if value is not None:
            s[key] = value
    if view.unit is not None:
        s[UNIT_FOR_KEY] = LINKED  # shown as asked (if the ranking's model has it), not the ranking's best
    if view.pattern is not None:
        s[PATTERN_KEY] = s[PATTERN_INPUT_KEY] = view.pattern
        if view.property is None:
            s[PROPERTY_KEY] = CUSTOM
    if view.lang is not None:
        s[LANG_KEY] = view.lang


def current_view() -> UnitsView:
    s = st.session_state
    pattern = s.get(PATTERN_KEY)
    return UnitsView(model=s.get(MODEL_KEY), property=s.get(PROPERTY_KEY), state=s.get(STATE_KEY),
                     unit=s.get(UNIT_KEY), pattern=pattern if s.get(PROPERTY_KEY) == CUSTOM else None,
                     lang=s.get(LANG_KEY))


# --- the page ------------------------------------------------------------------------------------------------------

def units_page() -> None:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    show_link_notes(lang, st.session_state.get(NOTES_KEY, ()))
    models, errors = unit_models()
    if not models:
        first = errors[0] if errors else PretrainedError("file_missing", where="lm_lstm.json", kind="card")
        st.error(_t(lang, "no_models", error=error_text(lang, first.code, first.fields)), icon=":material/error:")
        st.caption(_t(lang, "no_models_hint"))
        return
    if withheld_on("units"):  # a lesson's question about this page is open
        st.info(t(lang, "page_withheld"), icon=":material/visibility_off:")
        return
    name, model, which, prop = _choices(lang, models)
    pattern = st.session_state.get(PATTERN_KEY)
    entry = _ranking_section(lang, name, model, which, prop, pattern)
    if entry is not None:
        _examples_section(lang, model, which, prop, pattern, entry)
    _sentiment_section(lang, models)
    view = current_view()
    sync_url(units_links.to_params(view))
    _sidebar(lang, view, name, prop, entry)


def _choices(lang: str, models: dict[str, asking.Model]) -> tuple[str, asking.Model, str, str]:
    s = st.session_state
    names = tuple(models)
    if s.get(MODEL_KEY) not in names:
        s[MODEL_KEY] = names[0]
    left, middle, right = st.columns([3, 2, 3])
    name = left.selectbox(_t(lang, "model"), names, format_func=lambda n: model_name(lang, n), key=MODEL_KEY)
    model = models[name]
    states = ("hidden", "cell") if model_cell(name) == "lstm" else ("hidden",)
    if s.get(STATE_KEY) not in states:
        s[STATE_KEY] = states[-1]
    which = middle.radio(_t(lang, "state"), states, format_func=lambda x: _t(lang, f"state_{x}"), key=STATE_KEY,
                         horizontal=True)
    pattern = s.get(PATTERN_KEY)
    props = (*PROPERTIES, CUSTOM) if pattern else PROPERTIES
    if s.get(PROPERTY_KEY) not in props:
        s[PROPERTY_KEY] = PROPERTIES[0]
    prop = right.selectbox(_t(lang, "property"), props, format_func=lambda p: property_name(lang, p, pattern),
                           key=PROPERTY_KEY)
    st.caption(_t(lang, f"explain_{prop}"))
    if asking.is_word_model(model):
        st.info(_t(lang, "word_tokens"), icon=":material/info:")
    _pattern_form(lang)
    return name, model, which, prop


def _unit_shown(top: list[int], model: asking.Model, ranking: tuple) -> int:
    """The unit shown for ``ranking`` (model name, state, property, pattern): the one chosen for it, or a link's (once,
    if the model has it), else the best of ``top``; another ranking starts from its own best unit."""
    s = st.session_state
    asked, chosen_for = s.get(UNIT_KEY), s.get(UNIT_FOR_KEY, LINKED)
    if chosen_for == ranking:  # chosen in the selectbox, among this ranking's units
        keep = isinstance(asked, int)
    else:
        keep = chosen_for == LINKED and isinstance(asked, int) and 0 <= asked < asking.unit_count(model, ranking[1])
    if not keep:
        s[UNIT_KEY] = top[0]
    s[UNIT_FOR_KEY] = ranking
    return int(s[UNIT_KEY])


def model_cell(name: str) -> str:
    return name.removeprefix("lm_")


def _use_pattern() -> None:
    pattern = st.session_state.get(PATTERN_INPUT_KEY, "").strip()
    if pattern:
        st.session_state[PATTERN_KEY] = pattern
        st.session_state[PROPERTY_KEY] = CUSTOM


def _pattern_form(lang: str) -> None:
    with st.expander(_t(lang, "pattern_heading"), expanded=st.session_state.get(PROPERTY_KEY) == CUSTOM), \
            st.form("units_pattern_form", border=False):
        st.text_input(_t(lang, "pattern"), key=PATTERN_INPUT_KEY, max_chars=MAX_PATTERN)
        st.caption(_t(lang, "pattern_help", seconds=REGEX_TIMEOUT))
        st.form_submit_button(_t(lang, "pattern_rank"), on_click=_use_pattern, type="primary")


def _ranking_section(lang: str, name: str, model: asking.Model, which: str, prop: str, pattern: str | None
                     ) -> dict | None:
    """The ranking of ``which`` for ``prop`` (figure, table, where it came from); its JSON entry, or None when
    there is none to show (a pattern that fails or matches nothing: said in words)."""
    st.subheader(_t(lang, "ranking_heading"))
    if prop == CUSTOM:
        try:
            found = pattern_rankings(lang, model, pattern)
        except UnitError as err:
            st.error(error_text(lang, err.code, err.fields), icon=":material/error:")
            return None
        entry = found["rankings"][CUSTOM][which]
        if entry.get("matched", 1) == 0 or entry.get("matched") == entry["steps"]:
            st.warning(_t(lang, "no_match" if entry.get("matched", 1) == 0 else "all_match"),
                       icon=":material/search_off:")
            return None
        st.caption(_t(lang, "computed_pattern", texts=found["texts"], seconds=found["seconds"]))
    else:
        found = builtin_rankings(lang, model)
        entry = found["rankings"][prop][which]
        if found["source"] == "cache":
            st.caption(_t(lang, "from_cache", file=asking.RANKINGS_FILE))
        else:
            st.info(_t(lang, "computed", texts=found["texts"], seconds=found["seconds"]) + " " +
                    _t(lang, "computed_saved" if found["saved"] else "computed_memory", file=asking.RANKINGS_FILE),
                    icon=":material/calculate:")
    data = figures.ranking_data(entry, SHOWN_UNITS)
    if len(data.units) == 0:
        return None
    unit = _unit_shown([int(u) for u in data.units], model, (name, which, prop, pattern))
    state_name = _t(lang, f"state_{which}")
    _show(figures.ranking_bars(data, prop=property_name(lang, prop, pattern), state=state_name, highlight=unit,
                               labels=_labels(lang)), "units_ranking", name)
    st.caption(_t(lang, "ranking_caption", steps=data.steps, baseline=data.baseline))
    rank, best, r, ratio = figures.ranking_rows(data)[0]
    st.markdown(_t(lang, "best", state=state_name, unit=best, r=r, ratio=ratio))
    st.dataframe(_table(lang, data), hide_index=True)
    return entry


def _table(lang: str, data: figures.RankingData) -> dict[str, list]:
    rows = figures.ranking_rows(data)
    return {_t(lang, "table_rank"): [r[0] for r in rows], _t(lang, "table_unit"): [r[1] for r in rows],
            _t(lang, "table_r"): [round(r[2], 4) for r in rows],
            _t(lang, "table_ratio"): [round(r[3], 2) for r in rows]}


def ranking_csv(data: figures.RankingData, model: str, prop: str, which: str, pattern: str | None = None) -> str:
    """model, property, state, rank, unit, r, baseline: one row per unit shown."""
    shown = pattern if prop == CUSTOM else prop
    quoted = '"' + shown.replace('"', '""') + '"'
    rows = ["model,property,state,rank,unit,r,shuffled_baseline,steps"]
    rows += [f"{model},{quoted},{which},{rank},{unit},{r:.6f},{data.baseline:.6f},{data.steps}"
             for rank, unit, r, _ in figures.ranking_rows(data)]
    return "\n".join(rows) + "\n"


def _examples_section(lang: str, model: asking.Model, which: str, prop: str, pattern: str | None,
                      entry: dict) -> None:
    top = dict((int(u), float(r)) for u, r in entry["top"][:SHOWN_UNITS])
    units = list(dict.fromkeys([*top, int(st.session_state[UNIT_KEY])]))  # a link's unit may lie outside the top
    unit = st.selectbox(_t(lang, "unit"), units, key=UNIT_KEY, format_func=lambda u: (
        _t(lang, "unit_name", unit=u, r=top[u]) if u in top else _t(lang, "unit_plain", unit=u)))
    st.subheader(_t(lang, "examples_heading", unit=unit))
    texts, _ = _test_split()
    try:
        examples = asking.unit_examples(model, texts, prop, which, int(unit), pattern if prop == CUSTOM else None)
    except UnitError as err:
        st.error(error_text(lang, err.code, err.fields), icon=":material/error:")
        return
    if not examples:
        st.caption(_t(lang, "no_examples"))
        return
    limit = float(np.percentile(np.abs(np.concatenate([e.values for e in examples])), TINT_PERCENTILE)) or 1.0
    for example in examples:
        data = figures.tint_data(example.tokens, example.values, example.property, limit)
        st.markdown(figures.tinted_html(data, labels=_labels(lang)), unsafe_allow_html=True)
    st.caption(_t(lang, "examples_caption", limit=limit))


def _full_accuracies(lang: str, models: dict[str, asking.Model]) -> str:
    parts = []
    for name in CLASSIFIERS:
        if name in models:
            accuracy = models[name].card.get("metrics", {}).get("test", {}).get("accuracy")
            if accuracy is not None:
                parts.append(f"{CELL_NAMES[name]} {accuracy:.1%}")
    return ("、" if lang == "zh" else ", ").join(parts) or "—"


def _sentiment_section(lang: str, models: dict[str, asking.Model]) -> None:
    language = {name: m for name, m in models.items() if name in LANGUAGE_MODELS}
    if not language:
        return
    st.subheader(_t(lang, "sentiment_heading"))
    st.caption(_t(lang, "sentiment_caption", full=_full_accuracies(lang, models)))
    best_full = max((float(m.card.get("metrics", {}).get("test", {}).get("accuracy", 0.0))
                     for n, m in models.items() if n in CLASSIFIERS), default=0.0)
    drawn = None
    for name, model in language.items():
        chosen = model.card.get("units", {}).get("sentiment_unit")
        cell = CELL_NAMES[model_cell(name)]
        if not chosen:
            st.markdown("- " + _t(lang, "sentiment_none", model=cell))
            continue
        line = _t(lang, "sentiment_row", model=cell, state=_t(lang, f"state_{chosen['state']}"), unit=chosen["unit"],
                  test=chosen["test_accuracy"], validation=chosen["validation_accuracy"])
        if best_full:
            gap = best_full - float(chosen["test_accuracy"])
            line += " " + _t(lang, "sentiment_weak" if gap > CLOSE_GAP else "sentiment_strong", gap=max(gap, 0.0))
        st.markdown("- " + line)
        if drawn is None or name == st.session_state.get(MODEL_KEY):
            drawn = (name, model, chosen)
    if drawn is None:
        return
    name, model, chosen = drawn
    found = sentiment_values(lang, model, chosen)
    data = figures.sentiment_values_data(found["values"], found["labels"], chosen["threshold"], chosen["above"])
    cell = CELL_NAMES[model_cell(name)]
    _show(figures.sentiment_histogram(data, model=cell, state=_t(lang, f"state_{chosen['state']}"),
                                      unit=int(chosen["unit"]), labels=_labels(lang)), "units_sentiment", name)
    st.caption(_t(lang, "sentiment_figure", model=cell, count=len(found["values"]), accuracy=data.accuracy))


def _show(fig, key: str, model: str) -> None:
    show(fig, key, filename=file_name(key, model, fig.layout.title.text or "", ""))


def _sidebar(lang: str, view: UnitsView, name: str, prop: str, entry: dict | None) -> None:
    address = units_links.link(st.context.url or DEFAULT_BASE, view)
    with st.sidebar:
        st.header(_t(lang, "export_heading"))
        st.caption(_t(lang, "link_caption"))
        with st.popover(_t(lang, "link_copy"), icon=":material/content_copy:"):
            st.code(address, language=None, wrap_lines=True)
        if entry is not None:
            data = figures.ranking_data(entry, SHOWN_UNITS)
            csv = ranking_csv(data, name, prop, view.state or "", st.session_state.get(PATTERN_KEY))
            st.download_button(_t(lang, "export_csv"), key="units_csv", on_click="ignore", icon=":material/download:",
                               data=csv, file_name=f"units_{name}_{prop}_{view.state}.csv", mime="text/csv")
