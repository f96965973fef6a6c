"""The memory-race page: how far back can an RNN, an LSTM and a GRU remember one word?

A guess first (at which gap does the RNN fall to chance?), then the curve of accuracy against gap from the models'
cards; one sequence with a gap, a clue and distractor words drawn (seeded) or typed, and the three answers; why
(gate maps with the units that hold the clue found automatically, an LSTM unit's forget and input gates along the
gap); the gradient ‖∂h_T/∂h_clue‖ against distance; and what-if (cut or freeze the holding unit). The numbers come
from ``models.asking.race``; the figures from ``viz.race``; the link from ``ui.race_links``.
"""
from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import streamlit as st

from models.asking import race as asking
from models.files.export import provenance_json, traces_npz
from models.pretrained import PretrainedError, PretrainedModel, load_pretrained
from models.trace import DISPLAY_ORDER, GRU_CONVENTIONS
from models.training.race import CLUES, QUERY
from ui import race_links, state
from ui.common import MODEL_NAMES, literal, show
from ui.i18n import DEFAULT_LANG, LANGS, error_text, t, table_text, viz_labels
from ui.page_url import open_page_link, show_link_notes, sync_url
from ui.race_links import MAX_GAP, MAX_SEED, RaceView
from ui.source import LANG_KEY
from ui.tabs import CONVENTION_KEY, withheld_on
from viz import race as figures
from viz.export import file_name
from viz.gradients import distance_curves, distance_data

CELLS = asking.RACE_CELLS
GAP_KEY, CLUE_KEY, SEED_KEY, SOURCE_KEY, WORDS_KEY = "race_gap", "race_clue", "race_seed", "race_source", "race_words"
CELL_KEY, MAP_KEY, WHATIF_KEY, HOLDERS_KEY = "race_model", "race_map", "race_whatif_mode", "race_whatif_units"
GUESS_KEY = "race_guess"
REVEALED_KEY = "race_revealed"  # the guess was revealed: the curve is shown
APPLIED_KEY = "race_link_applied"  # the URL's view was applied in this session
NOTES_KEY = "race_link_notes"  # what a link held that the page ignored
KEPT_KEYS = (GAP_KEY, CLUE_KEY, SEED_KEY, SOURCE_KEY, WORDS_KEY, CELL_KEY, MAP_KEY, WHATIF_KEY, HOLDERS_KEY, GUESS_KEY)
SOURCES = ("drawn", "typed")
DEFAULTS = {GAP_KEY: 60, CLUE_KEY: 2, SEED_KEY: 0, SOURCE_KEY: "drawn", CELL_KEY: "lstm", WHATIF_KEY: "cut",
            HOLDERS_KEY: 1, WORDS_KEY: "这家酒店的房间很干净，服务也不错，但是价格有点贵"}
TOP_UNITS = 8  # holding units listed
CHIPS_SHOWN = 80  # sequence tokens drawn as chips; a longer sequence shows its start and end
GUESS_EDGES = (10, 25)  # guess buckets end at these gaps, then at the end of training, then at the last tested gap
KEPT = 64  # cached results per function
DEFAULT_BASE = "http://localhost:8501/race"

STRINGS = {
    "zh": {
        "title": "记忆赛跑：隔多远还记得住？",
        "intro": "序列开头是一个线索词（{clues} 中的一个颜色），接着是 N 个从评论里取来的干扰词，最后是问号“{query}”："
                 "模型要说出开头的颜色。同样大小、同样训练方法的 RNN、LSTM、GRU，谁能隔得最远？",
        "no_models": "没有找到记忆赛跑模型（race_rnn、race_lstm、race_gru）：{error}",
        "no_models_hint": "用 `python -m models.train_race` 训练它们，"
                          "或者把 RNN_GATES_PRETRAINED 指向放着它们的文件夹。",
        "guess_heading": "先猜一猜",
        "guess_ask": "普通 RNN 在间隔多少个词时，准确率会掉到瞎猜的水平（1/{k}）？",
        "bucket": "{low}–{high} 个词",
        "bucket_train": "{low}–{high} 个词（训练时见过的最长间隔之内）",
        "bucket_beyond": "{low}–{high} 个词（比训练时见过的都长）",
        "bucket_never": "在 {high} 个词以内都不会",
        "reveal": "揭晓曲线",
        "right": "猜对了。",
        "wrong": "答案是：{answer}",
        "hidden": "揭晓之前，曲线先藏起来。",
        "falls": "{model}：从间隔 {gap} 起，三个种子的平均准确率降到瞎猜水平（{chance:.1%} ± {margin:.0%} 以内）。",
        "holds": "{model}：直到间隔 {gap}，平均准确率仍有 {acc:.0%}，高于瞎猜的 {chance:.1%}。",
        "curve_caption": "曲线全部来自模型卡片（每个种子在每个间隔上的测试准确率），页面没有重新跑模型。"
                         "阴影是训练时用过的间隔；"
                         "色带是三个种子的最小到最大值，点线是随应用发布的那个种子。",
        "run_heading": "跑一条序列",
        "gap": "间隔 N（干扰词个数）",
        "clue": "线索词",
        "source": "干扰词",
        "source_drawn": "随机抽取",
        "source_typed": "自己输入",
        "seed": "随机种子",
        "words": "干扰词（用 jieba 分词；模型没见过的词读作 <unk>）",
        "sequence": "序列（{count} 个词）：",
        "unknown": "这些词不在赛跑模型的词表里，读作 <unk>：{words}",
        "answer": "{model} 说“{answer}”（{prob:.1%}）{mark}",
        "right_mark": "✓ 对",
        "wrong_mark": "✗ 错（应为“{clue}”）",
        "why_heading": "为什么：哪些单元记住了线索？",
        "why_caption": "对每个单元，只用它在问号处的值去猜线索"
                       "（在 {count} 条间隔为 {gap} 的序列上，一半拟合、一半检验），"
                       "按猜对的比例排序。{state}",
        "state_cell": "LSTM 看的是细胞状态 c。",
        "state_hidden": "看的是隐藏状态 h。",
        "model": "模型",
        "holders": "最能说出线索的单元：{units}",
        "holder": "单元 {unit}（单独猜对 {acc:.0%}）",
        "map": "门或状态",
        "gates_caption": "沿间隔（第 1–{last} 步），单元 {unit} 的遗忘门 f 平均 {f:.2f}，输入门 i 平均 {i:.2f}；"
                         "f 沿间隔的乘积是 {kept:.3g}：线索那一步写进 c 的内容，到问号处只剩这个比例"
                         "（之后每一步也会写进新的内容）。",
        "gradient_heading": "梯度：问号处的状态还“感觉”得到线索吗？",
        "gradient_caption": "‖∂h_T/∂h_t‖ 随距离变化（对数坐标）；最右端是线索。线索处：{values}。",
        "whatif_heading": "假如：切断或冻结记住线索的单元",
        "whatif_mode": "做法",
        "whatif_cut": "切断（从第 1 个干扰词起设为 0）",
        "whatif_freeze": "冻结（一直保持线索那一步的值）",
        "whatif_units": "改最前面几个单元",
        "whatif_changed": "{model} 的回答从“{before}”变成了“{after}”。",
        "whatif_same": "{model} 的回答没变，仍是“{before}”（正确答案的概率 {p_before:.1%} → {p_after:.1%}）。",
        "whatif_fewest": "{model}：同时改掉排在最前面的 {count} 个单元，回答才会变（最多试 {top} 个）。",
        "whatif_none": "{model}：把排在最前面的 {top} 个单元都改掉，回答也不变：记忆分散在更多单元里。",
        "whatif_edit": "改动：{state} 的单元 {units}，第 {start}–{stop} 步。",
        "export_heading": "分享与导出",
        "link_caption": "这个链接会打开同样的序列和视图：",
        "link_copy": "复制链接",
        "export_npz": "三个模型在这条序列上的全部门和状态（NPZ）",
        "export_curve": "准确率—间隔表，每个种子（CSV）",
        "export_json": "来源说明（JSON）",
        "before": "修改前",
        "after": "修改后",
    },
    "en": {
        "title": "The memory race: how far back can each cell remember?",
        "intro": "A sequence starts with a clue word (one of the colours {clues}), then N distractor words taken from "
                 "reviews, then a question mark “{query}”: the model must name the clue. An RNN, an LSTM and a GRU of "
                 "one size, trained the same way: which remembers across the longest gap?",
        "no_models": "No memory-race models found (race_rnn, race_lstm, race_gru): {error}",
        "no_models_hint": "Train them with `python -m models.train_race`, or point RNN_GATES_PRETRAINED at a folder "
                          "that holds them.",
        "guess_heading": "Guess first",
        "guess_ask": "At which gap does the plain RNN fall to chance (1/{k})?",
        "bucket": "{low}–{high} words",
        "bucket_train": "{low}–{high} words (within the gaps it was trained on)",
        "bucket_beyond": "{low}–{high} words (longer than any gap in training)",
        "bucket_never": "not within {high} words",
        "reveal": "Reveal the curve",
        "right": "Right.",
        "wrong": "The answer is: {answer}",
        "hidden": "The curve stays hidden until you reveal it.",
        "falls": "{model}: from gap {gap} on, the mean accuracy of the three seeds is at chance (within {margin:.0%} "
                 "of {chance:.1%}).",
        "holds": "{model}: at gap {gap} the mean accuracy is still {acc:.0%}, above chance ({chance:.1%}).",
        "curve_caption": "The whole curve comes from the model cards (every seed's test accuracy at every gap); "
                         "the page runs no model for it. Shaded: the gaps trained on; bands: the seeds' min to max; "
                         "dotted: the seed that ships.",
        "run_heading": "Run one sequence",
        "gap": "Gap N (distractor words)",
        "clue": "Clue",
        "source": "Distractors",
        "source_drawn": "drawn at random",
        "source_typed": "typed",
        "seed": "Seed",
        "words": "Distractor words (segmented by jieba; words the models never saw read as <unk>)",
        "sequence": "The sequence ({count} tokens):",
        "unknown": "Not in the race models' vocabulary, read as <unk>: {words}",
        "answer": "{model} says “{answer}” ({prob:.1%}) {mark}",
        "right_mark": "✓ right",
        "wrong_mark": "✗ wrong (the clue was “{clue}”)",
        "why_heading": "Why: which units hold the clue?",
        "why_caption": "Each unit alone names the clue from its value at the question mark (on {count} sequences "
                       "with gap {gap}, fitted on half, scored on the other half); units are ranked by that "
                       "accuracy. {state}",
        "state_cell": "For the LSTM, the cell state c.",
        "state_hidden": "The hidden state h.",
        "model": "Model",
        "holders": "The units that best name the clue: {units}",
        "holder": "unit {unit} (alone: {acc:.0%} right)",
        "map": "Gate or state",
        "gates_caption": "Along the gap (steps 1–{last}), unit {unit}'s forget gate f averages {f:.2f} and its input "
                         "gate i {i:.2f}; the product of f along the gap is {kept:.3g}: the share of what the clue "
                         "step wrote into c that is left at the question mark (each later step writes too).",
        "gradient_heading": "The gradient: does the state at the question mark still feel the clue?",
        "gradient_caption": "‖∂h_T/∂h_t‖ against distance (log scale); the clue is the right end. "
                            "At the clue: {values}.",
        "whatif_heading": "What if: cut or freeze the unit that holds the clue",
        "whatif_mode": "Edit",
        "whatif_cut": "cut (set to 0 from the first distractor on)",
        "whatif_freeze": "freeze (keep its value from the clue step)",
        "whatif_units": "How many of the top units",
        "whatif_changed": "{model}'s answer changed from “{before}” to “{after}”.",
        "whatif_same": "{model}'s answer stayed “{before}” (the clue's probability {p_before:.1%} → {p_after:.1%}).",
        "whatif_fewest": "{model}: the answer changes once the top {count} units are edited together (tried up to "
                          "{top}).",
        "whatif_none": "{model}: editing all of the top {top} units leaves the answer as it is: the memory is spread "
                       "over more units.",
        "whatif_edit": "Edit: {state} of unit(s) {units}, steps {start}–{stop}.",
        "export_heading": "Share and export",
        "link_caption": "This link opens the same sequence and view:",
        "link_copy": "Copy the link",
        "export_npz": "Every gate and state of the three models on this sequence (NPZ)",
        "export_curve": "Accuracy by gap, every seed (CSV)",
        "export_json": "Provenance (JSON)",
        "before": "before",
        "after": "after",
    },
}
FIGURE_LABELS = {  # viz.race's labels in Chinese (its English defaults are viz.race.RACE_LABELS)
    "zh": {
        "title_curve": "隔着干扰词记住一个词：每个间隔上的准确率",
        "gap": "间隔 N（线索和问号之间的干扰词个数）",
        "accuracy": "准确率（说对线索的比例）",
        "chance": "瞎猜 1/K = {chance:.3f}",
        "trained": "训练用的间隔（{low}–{high}）",
        "seeds": "{cell}：各种子（最小–最大）",
        "mean": "{cell}：{seeds} 个种子的平均",
        "shipped": "{cell}：发布的种子",
        "no_cards": "没有记忆赛跑模型卡片",
        "title_answers": "每个模型在问号处的回答",
        "clue": "线索",
        "probability": "概率",
        "right": "正确答案：{clue}",
        "title_holders": "每个单元在问号处的平均值，按线索分开（最能记住线索的单元在上）",
        "unit": "单元",
        "value": "值",
        "no_units": "没有单元可画",
        "title_gates": "{model} 单元 {unit}：沿序列的遗忘门和输入门",
        "step": "步",
        "token": "词",
        "title_map": "{state}：记住线索的单元在上（★）",
        "before": "修改前",
        "after": "修改后",
        "title_whatif": "{model}：修改前后的回答",
    },
}


def _t(lang: str, key: str, **fmt: object) -> str:
    return table_text(STRINGS, lang, key, **fmt)


def _labels(lang: str) -> dict[str, str]:
    return {**viz_labels(lang), **FIGURE_LABELS.get(lang, {})}


def heading(lang: str) -> tuple[str, str]:
    """The page's title and intro, for the frame."""
    return _t(lang, "title"), _t(lang, "intro", clues="、".join(CLUES) if lang == "zh" else ", ".join(CLUES),
                                 query=QUERY)


# --- models and cached results ---------------------------------------------------------------------------------

def _stamp(folder: str) -> tuple:
    """(name, size, mtime) of each race file in ``folder``: a changed file loads again."""
    out = []
    for cell in CELLS:
        for name in asking_files(cell):
            path = Path(folder) / name
            out.append((name, path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None)
    return tuple(out)


def asking_files(cell: str) -> tuple[str, str, str]:
    return ("race_vocab.json", f"race_{cell}.json", f"race_{cell}.safetensors")


def race_models() -> dict[str, PretrainedModel]:
    """The race models of the page's folder (``state.directory()``) by cell, for each cell whose card is there.
    Raises PretrainedError naming a bad file, or the missing card when there is none."""
    folder = str(state.directory())
    return _race_models(folder, _stamp(folder))


@st.cache_resource(max_entries=4, show_spinner=False)
def _race_models(folder: str, stamp: tuple) -> dict[str, PretrainedModel]:
    state._runtime()  # torch threads and jieba, once per process
    cells = [cell for cell in CELLS if (Path(folder) / f"race_{cell}.json").is_file()] or list(CELLS)
    return {cell: load_pretrained(f"race_{cell}", folder) for cell in cells}


@st.cache_resource(max_entries=4, show_spinner=False)
def _curves(folder: str, stamp: tuple) -> dict:
    return asking.race_curves(folder)


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _holding(fingerprint: str, gap: int, which: str, _model: PretrainedModel) -> tuple:
    return asking.holding_units(_model, gap, state=which, top=TOP_UNITS)


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _gradient(fingerprint: str, tokens: tuple[str, ...], _model: PretrainedModel):
    return asking.race_gradient_curve(_model, tokens)


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _whatif_run(fingerprint: str, tokens: tuple[str, ...], units: tuple[int, ...], which: str, mode: str,
                _model: PretrainedModel):
    return asking.race_whatif(_model, tokens, list(units), mode=mode, state=which)


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _fewest(fingerprint: str, tokens: tuple[str, ...], mode: str, _holders: tuple, _model: PretrainedModel) -> int:
    """Keyed on the tokens: the holding units are those of the model at this sequence's gap."""
    return asking.fewest_units_to_change(_model, tokens, _holders, mode=mode)


def holding_state(cell: str) -> str:
    """Where a cell's memory is looked for: the LSTM's cell state c, the others' hidden state h."""
    return "cell" if cell == "lstm" else "hidden"


def warm_up() -> None:
    """Before the first visitor (ui.warm): the race models, their curves and each model's holding units at the
    default gap, into the caches every session reads. Raises PretrainedError as ``race_models``."""
    models = race_models()
    folder = str(state.directory())
    _curves(folder, _stamp(folder))
    for cell, model in models.items():
        _holders(cell, model, DEFAULTS[GAP_KEY])


# --- the link ------------------------------------------------------------------------------------------------------

def open_link() -> None:
    """Once per session, before any widget is drawn: the view a race link asks for (the frame calls it)."""
    open_page_link(APPLIED_KEY, NOTES_KEY, race_links.parse, apply_view)


def apply_view(view: RaceView) -> None:
    """Set the page's widget keys to what ``view`` names."""
    s = st.session_state
    for key, value in ((GAP_KEY, view.gap), (CLUE_KEY, view.clue), (SEED_KEY, view.seed), (CELL_KEY, view.model)):
        if value is not None:
            s[key] = value
    if view.words is not None:
        s[WORDS_KEY], s[SOURCE_KEY] = view.words, "typed"
    elif view.seed is not None:
        s[SOURCE_KEY] = "drawn"
    if view.lang is not None:
        s[LANG_KEY] = view.lang
    if view.gru is not None:
        s[CONVENTION_KEY] = view.gru
        for lang in LANGS:
            s.pop(f"{CONVENTION_KEY}_{lang}", None)


def current_view() -> RaceView:
    s = st.session_state
    typed = s.get(SOURCE_KEY) == "typed"
    return RaceView(gap=int(s[GAP_KEY]), clue=int(s[CLUE_KEY]), seed=None if typed else int(s[SEED_KEY]),
                    words=s.get(WORDS_KEY) if typed else None, model=s.get(CELL_KEY), lang=s.get(LANG_KEY),
                    gru=s.get(CONVENTION_KEY))


# --- the page ------------------------------------------------------------------------------------------------------

def race_page() -> None:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    show_link_notes(lang, st.session_state.get(NOTES_KEY, ()))
    try:
        models = race_models()
    except PretrainedError as err:
        st.error(_t(lang, "no_models", error=error_text(lang, err.code, err.fields)), icon=":material/error:")
        st.caption(_t(lang, "no_models_hint"))
        return
    if withheld_on("race"):  # a lesson's question about this page is open
        st.info(t(lang, "page_withheld"), icon=":material/visibility_off:")
        return
    folder = str(state.directory())
    curves = _curves(folder, _stamp(folder))
    _guess_and_curve(lang, figures.race_curve_data(curves))
    answers = _run_section(lang, models)
    _why_section(lang, models, answers)
    _gradient_section(lang, models, answers)
    _whatif_section(lang, models, answers)
    view = current_view()
    sync_url(race_links.to_params(view))
    _sidebar(lang, view, answers, curves, models)


def _show(fig, key: str, answers: dict | None = None, model: str = "") -> None:
    """``ui.common.show``, the file names saying the chart, the model and the sequence (gap and clue), not the
    sentiment page's text."""
    where = ""
    if answers:
        first = next(iter(answers.values()))
        where = f"N{len(first.tokens) - 2}-{CLUES[first.clue]}"
    show(fig, key, filename=file_name(key, model, fig.layout.title.text or "", where))


def guess_choices(data: figures.RaceCurveData) -> tuple[tuple[str, int, int | None], ...]:
    """The guesses as (kind, first gap, last gap): gaps up to GUESS_EDGES, to the end of training, to the last gap
    tested, then "never" (last gap None)."""
    last = int(data.gaps[-1])
    edges = sorted({e for e in (*GUESS_EDGES, data.trained[1]) if e < last}) + [last]
    out, low = [], int(data.gaps[0])
    for high in edges:
        kind = "bucket" if high < data.trained[1] else "bucket_train" if high == data.trained[1] else "bucket_beyond"
        out.append((kind, low, high))
        low = high + 1
    out.append(("bucket_never", last, None))
    return tuple(out)


def right_guess(data: figures.RaceCurveData, cell: str = "rnn") -> int:
    """The index (into ``guess_choices``) of the bucket holding the gap at which ``cell`` falls to chance."""
    gap = data.falls_to_chance.get(cell)
    choices = guess_choices(data)
    if gap is None:
        return len(choices) - 1
    return next(i for i, (_, low, high) in enumerate(choices) if high is not None and low <= gap <= high)


def choice_name(lang: str, choice: tuple[str, int, int | None]) -> str:
    kind, low, high = choice
    return _t(lang, kind, low=low, high=high if high is not None else low)


def _guess_and_curve(lang: str, data: figures.RaceCurveData) -> None:
    st.subheader(_t(lang, "guess_heading"))
    if not data.cells:
        return
    choices = guess_choices(data)
    names = [choice_name(lang, c) for c in choices]
    guess = st.radio(_t(lang, "guess_ask", k=len(CLUES)), range(len(choices)), format_func=names.__getitem__,
                     index=None, key=GUESS_KEY)
    if not st.session_state.get(REVEALED_KEY):
        st.button(_t(lang, "reveal"), key="race_reveal", disabled=guess is None, type="primary",
                  on_click=st.session_state.__setitem__, args=(REVEALED_KEY, True))
        st.caption(_t(lang, "hidden"))
        return
    right = right_guess(data)
    if guess == right:
        st.success(_t(lang, "right"), icon=":material/check:")
    else:
        st.info(_t(lang, "wrong", answer=names[right]), icon=":material/lightbulb:")
    _show(figures.race_curve(data, names=MODEL_NAMES, labels=_labels(lang)), "race_curve")
    st.caption(_t(lang, "curve_caption"))
    for i, cell in enumerate(data.cells):
        gap = data.falls_to_chance[cell]
        if gap is None:
            st.markdown("- " + _t(lang, "holds", model=MODEL_NAMES[cell], gap=int(data.gaps[-1]),
                                  acc=float(data.mean[i, -1]), chance=data.chance))
        else:
            st.markdown("- " + _t(lang, "falls", model=MODEL_NAMES[cell], gap=gap, chance=data.chance,
                                  margin=figures.CHANCE_MARGIN))


def _distractors(lang: str, models: dict[str, PretrainedModel]) -> tuple[str, ...]:
    first = models[next(iter(models))]
    if st.session_state[SOURCE_KEY] == "typed":
        st.text_area(_t(lang, "words"), key=WORDS_KEY, max_chars=race_links.MAX_WORDS_CHARS)
        return asking.typed_distractors(first, st.session_state[WORDS_KEY])[:MAX_GAP]
    return asking.race_distractors(first, int(st.session_state[GAP_KEY]), int(st.session_state[SEED_KEY]))


def _run_section(lang: str, models: dict[str, PretrainedModel]) -> dict:
    st.subheader(_t(lang, "run_heading"))
    gap_col, clue_col, source_col, seed_col = st.columns([2, 1, 1, 1])
    typed = st.session_state[SOURCE_KEY] == "typed"
    gap_col.slider(_t(lang, "gap"), 0, MAX_GAP, key=GAP_KEY, disabled=typed)
    clue_col.selectbox(_t(lang, "clue"), range(len(CLUES)), format_func=CLUES.__getitem__, key=CLUE_KEY)
    source_col.radio(_t(lang, "source"), SOURCES, format_func=lambda s: _t(lang, f"source_{s}"), key=SOURCE_KEY)
    seed_col.number_input(_t(lang, "seed"), 0, MAX_SEED, key=SEED_KEY, disabled=typed)
    distractors = _distractors(lang, models)
    clue = int(st.session_state[CLUE_KEY])
    answers = asking.race_answers(models, clue, distractors)
    first = next(iter(answers.values()))
    _sequence_chips(lang, first.tokens, first.analysis.unknown)
    if first.unknown_words:
        st.caption(_t(lang, "unknown", words=literal("、".join(dict.fromkeys(first.unknown_words)))))
    probabilities = {MODEL_NAMES[cell]: a.probabilities for cell, a in answers.items()}
    colours = {MODEL_NAMES[cell]: figures.CELL_COLOURS[cell] for cell in answers}
    _show(figures.answer_bars(figures.answers_data(probabilities, CLUES, clue), colours=colours, labels=_labels(lang)),
          "race_answers", answers)
    for cell, a in answers.items():
        mark = _t(lang, "right_mark") if a.correct else _t(lang, "wrong_mark", clue=CLUES[clue])
        st.markdown("- " + _t(lang, "answer", model=MODEL_NAMES[cell], answer=CLUES[a.answer],
                              prob=float(a.probabilities[a.answer]), mark=mark))
    return answers


def _sequence_chips(lang: str, tokens: tuple[str, ...], unknown: tuple[bool, ...]) -> None:
    shown = list(range(len(tokens)))
    if len(tokens) > CHIPS_SHOWN:
        half = CHIPS_SHOWN // 2
        shown = shown[:half] + [-1] + shown[-half:]
    chips = []
    for i in shown:
        if i < 0:
            chips.append(f"<span> … +{len(tokens) - CHIPS_SHOWN} … </span>")
            continue
        style = "font-weight:700;background:rgba(214,39,40,0.15);" if i in (0, len(tokens) - 1) else (
            "border:1px dashed #999;color:#888;" if unknown[i] else "background:rgba(49,120,198,0.10);")
        chips.append(f'<span style="display:inline-block;margin:1px 2px;padding:0 5px;border-radius:5px;{style}">'
                     f"{html.escape(tokens[i])}</span>")
    st.markdown(f"**{html.escape(_t(lang, 'sequence', count=len(tokens)))}**")
    st.markdown(f'<div style="line-height:1.9">{"".join(chips)}</div>', unsafe_allow_html=True)


def _chosen_cell(lang: str, models: dict[str, PretrainedModel]) -> str:
    cells = tuple(models)
    if st.session_state.get(CELL_KEY) not in cells:
        st.session_state[CELL_KEY] = "lstm" if "lstm" in cells else cells[0]
    return st.radio(_t(lang, "model"), cells, format_func=MODEL_NAMES.__getitem__, horizontal=True, key=CELL_KEY)


def _holders(cell: str, model: PretrainedModel, gap: int) -> tuple:
    return _holding(model.fingerprint, max(gap, 1), holding_state(cell), model)


def _why_section(lang: str, models: dict[str, PretrainedModel], answers: dict) -> None:
    st.subheader(_t(lang, "why_heading"))
    cell = _chosen_cell(lang, models)
    model, answer = models[cell], answers[cell]
    gap = len(answer.tokens) - 2
    holders = _holders(cell, model, gap)
    which = holding_state(cell)
    st.caption(_t(lang, "why_caption", count=asking.PROBE_COUNT, gap=max(gap, 1),
                  state=_t(lang, "state_cell" if which == "cell" else "state_hidden")))
    st.markdown(_t(lang, "holders", units="; ".join(_t(lang, "holder", unit=u.unit, acc=u.accuracy)
                                                   for u in holders[:3])))
    labels = _labels(lang)
    _show(figures.holders_heatmap(figures.holders_data(holders, CLUES), labels=labels), "race_holders", answers,
          MODEL_NAMES[cell])
    names = DISPLAY_ORDER[cell]
    if st.session_state.get(MAP_KEY) not in names:
        st.session_state[MAP_KEY] = which if which in names else names[0]
    convention = st.session_state.get(CONVENTION_KEY, GRU_CONVENTIONS[0])
    shown = st.selectbox(_t(lang, "map"), names, key=MAP_KEY,
                         format_func=lambda n: labels.get(f"{n}_{convention}", labels.get(n, n)))
    top = [u.unit for u in holders[:3]]
    _show(figures.holding_map(answer.analysis.trace, shown, top, convention=convention, labels=labels),
          "race_map_chart", answers, MODEL_NAMES[cell])
    if cell == "lstm" and holders:
        unit = holders[0].unit
        along = asking.unit_along_gap(answer.analysis, unit)
        _show(figures.unit_gates_figure(figures.unit_gates_data(answer.analysis.trace, unit), model=MODEL_NAMES[cell],
                                        labels=labels), "race_gates", answers, MODEL_NAMES[cell])
        if len(answer.tokens) > 2:
            inputs = float(np.mean(along.input[along.gap_steps]))
            st.caption(_t(lang, "gates_caption", unit=unit, last=len(answer.tokens) - 2, f=along.mean_forget, i=inputs,
                          kept=along.kept))


def _gradient_section(lang: str, models: dict[str, PretrainedModel], answers: dict) -> None:
    st.subheader(_t(lang, "gradient_heading"))
    paths = {}
    at_clue = []
    for cell, model in models.items():
        tokens = answers[cell].tokens
        curve = _gradient(model.fingerprint, tuple(tokens), model)
        paths[cell] = SimpleNamespace(curve=curve, tokens=tokens)
        at_clue.append(f"{MODEL_NAMES[cell]} 10^{float(curve.log10_norm[-1]):.1f}")
    fig = distance_curves(distance_data(paths), labels=viz_labels(lang))
    for trace, cell in zip(fig.data, paths):  # one colour per cell on every figure of the page
        trace.line.color = figures.CELL_COLOURS[cell]
    _show(fig, "race_gradient", answers)
    st.caption(_t(lang, "gradient_caption", values=", ".join(at_clue)))


def _whatif_section(lang: str, models: dict[str, PretrainedModel], answers: dict) -> None:
    st.subheader(_t(lang, "whatif_heading"))
    cell = st.session_state[CELL_KEY]
    model, answer = models[cell], answers[cell]
    left, right = st.columns(2)
    mode = left.radio(_t(lang, "whatif_mode"), asking.WHATIF_MODES, format_func=lambda m: _t(lang, f"whatif_{m}"),
                      key=WHATIF_KEY)
    count = right.number_input(_t(lang, "whatif_units"), 1, TOP_UNITS, key=HOLDERS_KEY)
    holders = _holders(cell, model, len(answer.tokens) - 2)
    units = tuple(u.unit for u in holders[: int(count)])
    which = holding_state(cell)
    result = _whatif_run(model.fingerprint, tuple(answer.tokens), units, which, mode, model)
    before, after = CLUES[result.answer_before], CLUES[result.answer_after]
    name = MODEL_NAMES[cell]
    if result.changed:
        st.warning(_t(lang, "whatif_changed", model=name, before=before, after=after), icon=":material/science:")
    else:
        st.info(_t(lang, "whatif_same", model=name, before=before, p_before=float(result.before[result.clue]),
                   p_after=float(result.after[result.clue])), icon=":material/science:")
    fewest = _fewest(model.fingerprint, tuple(answer.tokens), mode, holders, model)
    st.caption(_t(lang, "whatif_fewest", model=name, count=fewest, top=len(holders)) if fewest else
               _t(lang, "whatif_none", model=name, top=len(holders)))
    steps = list(result.edit.steps)
    st.caption(_t(lang, "whatif_edit", state=which, units=", ".join(map(str, units)), start=steps[0] if steps else 0,
                  stop=steps[-1] if steps else 0))
    series = {_t(lang, "before"): result.before, _t(lang, "after"): result.after}
    _show(figures.answer_bars(figures.answers_data(series, CLUES, result.clue), title_key="title_whatif", model=name,
                              labels=_labels(lang)), "race_whatif", answers, name)


def curve_csv(curves: dict) -> str:
    """cell, seed, gap, accuracy: every number the curve is drawn from, one a row."""
    rows = ["cell,seed,shipped,gap,accuracy"]
    for cell, curve in curves.items():
        for seed, row in zip(curve.seeds, curve.by_seed):
            shipped = int(seed) == curve.shipped_seed
            rows += [f"{cell},{int(seed)},{int(shipped)},{int(g)},{float(a):.4f}" for g, a in zip(curve.gaps, row)]
    return "\n".join(rows) + "\n"


def _sidebar(lang: str, view: RaceView, answers: dict, curves: dict, models: dict[str, PretrainedModel]) -> None:
    address = race_links.link(st.context.url or DEFAULT_BASE, view)
    tokens = next(iter(answers.values())).tokens
    names = file_name("race", f"N{len(tokens) - 2}_{CLUES[view.clue]}")

    def provenance() -> str:
        return provenance_json(text=" ".join(tokens), tokens=tokens, mode="word", source=str(state.directory()),
                               files={f"race_{cell}": m.files for cell, m in models.items()},
                               view=race_links.to_params(view), date=datetime.now(UTC).isoformat(timespec="seconds"))

    with st.sidebar:
        st.header(_t(lang, "export_heading"))
        st.caption(_t(lang, "link_caption"))
        with st.popover(_t(lang, "link_copy"), icon=":material/content_copy:"):
            st.code(address, language=None, wrap_lines=True)
        st.download_button(_t(lang, "export_npz"), key="race_npz", on_click="ignore", icon=":material/download:",
                           data=lambda: traces_npz({f"race_{c}": a.analysis.trace for c, a in answers.items()}),
                           file_name=f"{names}_traces.npz", mime="application/octet-stream")
        st.download_button(_t(lang, "export_curve"), key="race_curve_csv", on_click="ignore",
                           icon=":material/download:", data=lambda: curve_csv(curves),
                           file_name="race_accuracy_by_gap.csv", mime="text/csv")
        st.download_button(_t(lang, "export_json"), key="race_provenance", on_click="ignore",
                           icon=":material/download:", data=provenance, file_name=f"{names}_provenance.json",
                           mime="application/json")
