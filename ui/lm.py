"""The language-model page (at /lm): a text read by the character RNN, LSTM and GRU language models.

Four views of one text: the next character (every model's surprise at every character, and under each character
the five it expected next, as in Karpathy et al.); the gates (every gate and state heatmap of the sentiment page,
through the same builders, and the Inside-one-step equations at a chosen character); the text tinted by one unit;
and live writing (prompt, temperature, length, seed), played as an animation whose heatmaps grow with the text.
The models come from ``models.lm``, the figures from ``viz.lm`` (and ``viz.heatmap``, ``viz.equations``), the link
from ``ui.lm_links``. Analyses are kept in one ``ByteBoundedCache`` per process, as ``ui.state`` keeps the
sentiment page's.
"""
from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from models.files.export import provenance_json
from models.files.lm_export import next_characters_csv, readings_npz
from models.lm import MAX_WRITE, LanguageModel, NextCharacters, Writing, lm_characters, load_language_model
from models.names import ModelName
from models.pretrained import PretrainedError
from models.tokenize import has_traditional
from models.trace import CELL_TYPES, DISPLAY_ORDER, GRU_CONVENTIONS
from ui import lm_links, state
from ui.cache import ByteBoundedCache
from ui.common import MODEL_NAMES, literal, show, translated_radio
from ui.i18n import DEFAULT_LANG, LANGS, error_text, t, table_text, viz_labels
from ui.links import Note
from ui.lm_links import LmView
from ui.page_url import open_page_link, show_link_notes, sync_url
from ui.read import heatmap_figure
from ui.source import LANG_KEY
from ui.step import equation_view
from ui.tabs import CONVENTION_KEY, withheld_on
from viz import lm as figures
from viz.animation import step_animation
from viz.export import file_name
from viz.heatmap import NORMALIZATIONS, ORDERS
from viz.labels import state_label

MODELS = tuple(ModelName(cell, "language_model").name for cell in CELL_TYPES)  # lm_rnn, lm_lstm, lm_gru
TEXT_KEY, VIEW_KEY, MODEL_KEY, POS_KEY, UNIT_KEY = "lm_text", "lm_view", "lm_model", "lm_pos", "lm_unit"
STATE_KEY, PROMPT_KEY, TEMPERATURE_KEY, LENGTH_KEY, SEED_KEY = "lm_state", "lm_prompt", "lm_temperature", \
    "lm_length", "lm_seed"
SHOWN_KEY, ORDER_KEY, NORMALIZE_KEY, ROWS_KEY, STEPS_KEY = "lm_shown", "lm_order", "lm_normalize", "lm_rows", \
    "lm_steps"
APPLIED_KEY = "lm_link_applied"  # the URL's view was applied in this session
NOTES_KEY = "lm_link_notes"  # what a link held that the page ignored
KEPT_KEYS = (TEXT_KEY, VIEW_KEY, MODEL_KEY, POS_KEY, UNIT_KEY, STATE_KEY, PROMPT_KEY, TEMPERATURE_KEY, LENGTH_KEY,
             SEED_KEY, SHOWN_KEY, ORDER_KEY, NORMALIZE_KEY, ROWS_KEY)
DEFAULT_TEXT = "《三体》我看了两遍，不是不好看，是太烧脑了。物流很快，包装也不错，下次还来买。"
DEFAULTS = {TEXT_KEY: DEFAULT_TEXT, VIEW_KEY: "next", MODEL_KEY: "lm_lstm", POS_KEY: 1, UNIT_KEY: 0,
            STATE_KEY: "hidden", PROMPT_KEY: "这家店的菜", TEMPERATURE_KEY: 0.8, LENGTH_KEY: 100, SEED_KEY: 0}
MAX_CHARS = 1000  # characters read; a longer text is cut, with a note (what was typed stays in the box)
MAX_LENGTH = 500  # longest live writing the page asks for (models.lm allows MAX_WRITE)
ALL = "all"
TOP_VARYING = 6  # units suggested in "colour the text": those that vary most over this text
ANALYSES_MB = 128  # MiB of readings kept per process (a 1,000-character LSTM reading holds about 3 MiB)
KEPT = 32  # writings and their figures kept per process
CELL_COLOURS = {"rnn": "#7f7f7f", "lstm": "#d62728", "gru": "#1f77b4"}
DEFAULT_BASE = "http://localhost:8501/lm"
HINT_COMMAND = "python -m models.train_lm"

STRINGS = {
    "zh": {
        "title": "字符语言模型：下一个字是什么？",
        "intro": "三个同样大小、同样训练方法的字符语言模型（RNN、LSTM、GRU）读同一段文字，每读一个字就猜下一个字。"
                 "看它们猜了什么、有多意外，看门和状态怎么变，再让它们自己往下写。",
        "no_models": "没有找到字符语言模型：{error}",
        "no_models_hint": "用 `{command}` 训练它们（会写出 lm_vocab.json 和 lm_rnn、lm_lstm、lm_gru 的 .json 与 "
                          ".safetensors），或者把 RNN_GATES_PRETRAINED 指向放着它们的文件夹。",
        "models_missing": "没有这些语言模型的文件：{models}。",
        "text": "文字（中文或英文都行；每个字读一次）",
        "empty": "请输入一些文字：空白不算字。",
        "cut": "文字共 {total} 个字，模型只读前 {count} 个（上面的文字框里什么都没有丢）。",
        "unknown": "这些字不在语言模型的字表里，读作 <unk>（未知字）：{chars}",
        "traditional": "繁体字按简体读（例如“這”读作“这”）。",
        "view": "看什么",
        "view_next": "下一个字",
        "view_gates": "门和状态",
        "view_colour": "按单元给文字上色",
        "view_write": "现场写作",
        "bits": "{bits:.2f} 比特/字",
        "bits_help": "这段文字里每个字的平均意外程度（−log₂ P）。越低，模型越能猜中下一个字。",
        "position": "第几个字（从 0 数）",
        "position_caption": "选中的是第 {pos} 个字“{char}”。下面的表里是每个模型读完它之后猜的下一个字。",
        "strip_caption": "每一格是一个字，颜色越红，这个字越出乎模型意料（比特 = −log₂ P）。"
                         "鼠标停在格子上可以看到它的概率和模型接着猜的五个字；字多时可以左右拖动。",
        "window_caption": "最上面一行是读到的字（颜色是它出现时的概率），下面五行是读完这个字后每个模型猜的下一个字，"
                          "颜色越深概率越大；粗体的是真正出现的那个字。",
        "table_model": "模型",
        "table_came": "这个字出现的概率",
        "table_surprise": "意外（比特）",
        "table_next": "真正的下一个字“{char}”的概率",
        "table_entropy": "猜下一个字时的熵（比特）",
        "table_guess": "猜测 {k}",
        "end_of_text": "（文字结尾）",
        "model": "模型",
        "gates_heading": "{model} 读这段文字时的门和状态",
        "gates_caption": "和情感分类页一样的热力图：纵轴是 {units} 个隐藏单元，横轴是字（第 0 步是开头记号 <s>）。",
        "step_heading": "一步之内：第 {pos} 个字“{char}”",
        "unit": "单元（0–{last}）",
        "animation_toggle": "逐步动画（从所选的字开始，最多 {count} 步）",
        "colour_heading": "按一个单元给文字上色",
        "state": "状态",
        "state_cell": "细胞状态 c",
        "state_hidden": "隐藏状态 h",
        "colour_caption": "每个字的底色是 {model} 读完这个字之后单元 {unit} 的 {state}：蓝色为负，红色为正。"
                          "鼠标停在字上可以看到数值。",
        "varying": "在这段文字里变化最大的单元：{units}",
        "write_heading": "现场写作",
        "prompt": "开头（可以留空）",
        "temperature": "温度（0 = 总选最可能的字；越高越随机）",
        "length": "写多少个字",
        "seed": "随机种子（同样的种子写出同样的文字）",
        "rows": "动画里的门和状态",
        "written": "{model} 写的（灰色是开头，红色是模型写的）：",
        "write_caption": "点击 ▶ 播放：文字一个字一个字地出现，下面的热力图跟着变长。模型选中的字平均概率 {mean:.1%}。",
        "prompt_cut": "开头太长，只用前 {count} 个字。",
        "export_heading": "分享与导出",
        "link_caption": "这个链接会打开同样的文字、视图和写作：",
        "link_copy": "复制链接",
        "link_too_long": "文字超过 {limit} 个字，链接里不带文字。",
        "export_npz": "三个模型读这段文字的全部门、状态和下一个字的预测（NPZ）",
        "export_csv": "下一个字的表格：每一步的前 5 个猜测、概率和意外（CSV）",
        "export_json": "来源说明（JSON）",
    },
    "en": {
        "title": "Character language models: what comes next?",
        "intro": "Three character language models of one size and one recipe (an RNN, an LSTM and a GRU) read the same "
                 "text and, after each character, guess the next. See what they guessed and how surprised they were, "
                 "how their gates and states move, and let them write on their own.",
        "no_models": "No character language models found: {error}",
        "no_models_hint": "Train them with `{command}` (it writes lm_vocab.json and the .json and .safetensors of "
                          "lm_rnn, lm_lstm and lm_gru), or point RNN_GATES_PRETRAINED at a folder that holds them.",
        "models_missing": "No files for these language models: {models}.",
        "text": "Text (Chinese or English; every character is read once)",
        "empty": "Type some text: white space is no character.",
        "cut": "The text has {total} characters; the models read the first {count} (nothing is lost from the box "
               "above).",
        "unknown": "Not in the language models' characters, read as <unk> (unknown): {chars}",
        "traditional": "Traditional characters are read as simplified (這 as 这, say).",
        "view": "View",
        "view_next": "Next character",
        "view_gates": "Gates and states",
        "view_colour": "Colour the text by one unit",
        "view_write": "Live writing",
        "bits": "{bits:.2f} bits/char",
        "bits_help": "The mean surprise (−log₂ P) of this text's characters. Lower: the model guessed the next "
                     "character better.",
        "position": "Character position (from 0)",
        "position_caption": "Chosen: character {pos} “{char}”. The table shows what each model expected after it.",
        "strip_caption": "One cell per character; the redder, the more it surprised the model (bits = −log₂ P). "
                         "Hover for its probability and the five characters the model expected next; drag sideways "
                         "along a long text.",
        "window_caption": "The top row is the characters read (coloured by the probability they came with); the five "
                          "rows under each are what each model expected next, darker for more probable; the one "
                          "that came is bold.",
        "table_model": "model",
        "table_came": "P(this character)",
        "table_surprise": "surprise (bits)",
        "table_next": "P(“{char}”, the next)",
        "table_entropy": "entropy of the next guess (bits)",
        "table_guess": "guess {k}",
        "end_of_text": "(end of text)",
        "model": "Model",
        "gates_heading": "{model}'s gates and states on this text",
        "gates_caption": "The sentiment page's heatmaps: {units} hidden units down, characters across (step 0 is the "
                         "begin-of-text token <s>).",
        "step_heading": "Inside one step: character {pos} “{char}”",
        "unit": "Unit (0–{last})",
        "animation_toggle": "Step animation (from the chosen character, at most {count} steps)",
        "colour_heading": "Colour the text by one unit",
        "state": "State",
        "state_cell": "cell state c",
        "state_hidden": "hidden state h",
        "colour_caption": "Each character's background is unit {unit}'s {state} in {model} after reading it: blue "
                          "below 0, red above. Hover a character for the value.",
        "varying": "The units that vary most over this text: {units}",
        "write_heading": "Live writing",
        "prompt": "Prompt (may be empty)",
        "temperature": "Temperature (0 = always the most probable; higher = more random)",
        "length": "Characters to write",
        "seed": "Seed (one seed writes one text)",
        "rows": "Gates and states in the animation",
        "written": "{model} wrote (grey: the prompt; red: what the model wrote):",
        "write_caption": "Press ▶ play: the text appears character by character and the heatmaps grow with it. The "
                         "characters chosen had a mean probability of {mean:.1%}.",
        "prompt_cut": "The prompt is too long: its first {count} characters are used.",
        "export_heading": "Share and export",
        "link_caption": "This link opens the same text, view and writing:",
        "link_copy": "Copy the link",
        "link_too_long": "The text is longer than {limit} characters: the link does not carry it.",
        "export_npz": "Every gate, state and next-character guess of the three models on this text (NPZ)",
        "export_csv": "The next-character table: each step's top 5, probabilities and surprise (CSV)",
        "export_json": "Provenance (JSON)",
    },
}
FIGURE_LABELS = {  # viz.lm's labels in Chinese (its English defaults are viz.lm.LM_LABELS)
    "zh": {
        "title_strip": "每个字有多出乎意料（比特）",
        "title_window": "读完每个字后，每个模型猜的下一个字（前 5 个）",
        "title_detail": "读完第 {pos} 个字“{char}”后，每个模型猜的下一个字",
        "title_detail_next": "读完第 {pos} 个字“{char}”后，每个模型猜的下一个字（框出的是真正出现的“{next}”）",
        "title_writing": "{model} 一边写一边记录：每一步的门和状态",
        "bits": "比特",
        "character": "字",
        "position": "位置",
        "expected": "接着猜",
        "read": "读到",
        "guess": "猜测 {k}",
        "no_text": "没有字可画",
        "frame": "步",
    },
}


def _t(lang: str, key: str, **fmt: object) -> str:
    return table_text(STRINGS, lang, key, **fmt)


CHARACTER_AXIS = {"zh": {"token": "字"}, "en": {"token": "character"}}  # the shared heatmaps' step axis, here


def _labels(lang: str) -> dict[str, str]:
    return {**viz_labels(lang), **FIGURE_LABELS.get(lang, {}), **CHARACTER_AXIS.get(lang, {})}


def heading(lang: str) -> tuple[str, str]:
    """The page's title and intro, for the frame."""
    return _t(lang, "title"), _t(lang, "intro")


def _cell(name: str) -> str:
    return name.removeprefix("lm_")


# --- models and cached results ---------------------------------------------------------------------------------

def _stamp(folder: str) -> tuple:
    """(name, size, mtime) of each language-model file in ``folder``: a changed file loads again."""
    out = []
    for name in dict.fromkeys(f for model in MODELS for f in ModelName(_cell(model), "language_model").files):
        path = Path(folder) / name
        out.append((name, path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None)
    return tuple(out)


def lm_models() -> dict[str, LanguageModel]:
    """The language models of the page's folder (``state.directory()``) by name, each whose card is there. Raises
    PretrainedError naming a bad file, or the missing card when there is none."""
    folder = str(state.directory())
    return _lm_models(folder, _stamp(folder))


@st.cache_resource(max_entries=4, show_spinner=False)
def _lm_models(folder: str, stamp: tuple) -> dict[str, LanguageModel]:
    state._runtime()  # torch threads, once per process
    names = [name for name in MODELS if (Path(folder) / f"{name}.json").is_file()] or list(MODELS)
    return {name: load_language_model(name, folder) for name in names}


def _reading_bytes(reading: NextCharacters) -> int:
    trace = reading.trace
    arrays = (*trace.gates.values(), *trace.terms.values(), trace.hidden, *(() if trace.cell is None else
                                                                          (trace.cell,)))
    return sum(a.nbytes for a in arrays) + sum(getattr(reading, k).nbytes for k in
                                               ("top_probabilities", "actual", "surprise", "entropy"))


@st.cache_resource(show_spinner=False)
def reading_cache() -> ByteBoundedCache[NextCharacters]:
    """The process's one cache of readings, shared by every session, measured by their arrays' bytes."""
    return ByteBoundedCache(ANALYSES_MB * 2**20, size_of=_reading_bytes)


def read(model: LanguageModel, text: str) -> NextCharacters:
    """``text`` (its first MAX_CHARS characters) through ``model``, kept for every session. Raises EmptyTextError."""
    return reading_cache().get((model.fingerprint, text), lambda: model.analyze(text, MAX_CHARS))


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _writing(fingerprint: str, prompt: str, temperature: float, length: int, seed: int,
             _model: LanguageModel) -> Writing:
    return _model.write(prompt, temperature=temperature, length=length, seed=seed)


@st.cache_resource(max_entries=KEPT, show_spinner=False)
def _writing_figure(fingerprint: str, prompt: str, temperature: float, length: int, seed: int, rows: tuple,
                    lang: str, convention: str, _writing: Writing) -> go.Figure:
    """Built once per writing and view; sessions share it, and nothing changes it after (st.plotly_chart reads)."""
    data = figures.writing_data(_writing.trace, 1 + len(_writing.prompt), rows, convention=convention)
    return figures.writing_animation(data, model=MODEL_NAMES[_writing.trace.cell_type], convention=convention,
                                     labels=_labels(lang))


def write(model: LanguageModel, prompt: str, temperature: float, length: int, seed: int) -> Writing:
    """``model.write`` of the prompt (its first MAX_CHARS characters), kept for every session."""
    return _writing(model.fingerprint, "".join(lm_characters(prompt)[:MAX_CHARS]), float(temperature), int(length),
                    int(seed), model)


def warm_up() -> None:
    """Before the first visitor (ui.warm): the language models, and the default text read by each, into the caches
    every session reads. Raises PretrainedError as ``lm_models``."""
    for model in lm_models().values():
        read(model, DEFAULT_TEXT)


# --- the link ------------------------------------------------------------------------------------------------------

def open_link() -> None:
    """Once per session, before any widget is drawn: the view a link asks for (the frame calls it)."""
    open_page_link(APPLIED_KEY, NOTES_KEY, lm_links.parse, apply_view)


def apply_view(view: LmView) -> tuple[Note, ...]:
    """Set the page's widget keys to what ``view`` names (a link's, or a lesson step's); what the page had to
    change, as notes."""
    notes: tuple[Note, ...] = ()
    s = st.session_state
    for key, value in ((TEXT_KEY, view.text), (VIEW_KEY, view.view), (MODEL_KEY, view.model), (POS_KEY, view.pos),
                       (UNIT_KEY, view.unit), (STATE_KEY, view.state), (PROMPT_KEY, view.prompt),
                       (TEMPERATURE_KEY, view.temperature), (LENGTH_KEY, view.length), (SEED_KEY, view.seed)):
        if value is not None:
            s[key] = value
    if view.length is not None and view.length > MAX_LENGTH:  # a link may ask for more than the page writes
        s[LENGTH_KEY] = MAX_LENGTH
        notes = (*notes, Note("length", str(view.length), "out_of_range", (f"1–{MAX_LENGTH}",)))
    if view.lang is not None:
        s[LANG_KEY] = view.lang
    if view.gru is not None:
        s[CONVENTION_KEY] = view.gru
        for lang in LANGS:
            s.pop(f"{CONVENTION_KEY}_{lang}", None)
    return notes


def current_view() -> LmView:
    s = st.session_state
    return LmView(text=s.get(TEXT_KEY), view=s.get(VIEW_KEY), model=s.get(MODEL_KEY), pos=s.get(POS_KEY),
                  unit=s.get(UNIT_KEY), state=s.get(STATE_KEY), prompt=s.get(PROMPT_KEY),
                  temperature=float(s[TEMPERATURE_KEY]), length=s.get(LENGTH_KEY), seed=s.get(SEED_KEY),
                  lang=s.get(LANG_KEY), gru=s.get(CONVENTION_KEY))


# --- the page ------------------------------------------------------------------------------------------------------

def lm_page() -> None:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    show_link_notes(lang, st.session_state.get(NOTES_KEY, ()))
    try:
        models = lm_models()
    except PretrainedError as err:
        st.error(_t(lang, "no_models", error=error_text(lang, err.code, err.fields)), icon=":material/error:")
        st.caption(_t(lang, "no_models_hint", command=HINT_COMMAND))
        return
    missing = [name for name in MODELS if name not in models]
    if missing:
        st.caption(_t(lang, "models_missing", models=", ".join(missing)))
    st.text_area(_t(lang, "text"), key=TEXT_KEY, height=100)
    text = st.session_state[TEXT_KEY]
    if withheld_on("lm"):  # a lesson's question about this page is open
        st.info(t(lang, "page_withheld"), icon=":material/visibility_off:")
        return
    views = lm_links.VIEWS
    view = st.radio(_t(lang, "view"), views, format_func=lambda v: _t(lang, f"view_{v}"), key=VIEW_KEY,
                    horizontal=True)
    readings: dict[str, NextCharacters] = {}
    if view != "write" or lm_characters(text):
        readings = _readings(lang, models, text)
    if view == "next" and readings:
        _next_view(lang, readings)
    elif view == "gates" and readings:
        _gates_view(lang, models, readings)
    elif view == "colour" and readings:
        _colour_view(lang, models, readings)
    elif view == "write":
        _write_view(lang, models)
    current = current_view()
    sync_url(lm_links.to_params(current))
    _sidebar(lang, current, readings, models)


def _readings(lang: str, models: dict[str, LanguageModel], text: str) -> dict[str, NextCharacters]:
    """Every model's reading of ``text``, with a note for what was cut, unknown or read as simplified; {} and a
    message for a text with no characters."""
    chars = lm_characters(text)
    if not chars:
        st.info(_t(lang, "empty"), icon=":material/edit:")
        return {}
    if len(chars) > MAX_CHARS:
        st.warning(_t(lang, "cut", total=len(chars), count=MAX_CHARS), icon=":material/content_cut:")
    readings = {name: read(model, text) for name, model in models.items()}
    first = next(iter(readings.values()))
    unknown = dict.fromkeys(ch for ch, unk in zip(first.tokens, first.unknown) if unk)
    if unknown:
        shown = "".join(list(unknown)[:40]) + ("…" if len(unknown) > 40 else "")
        st.caption(_t(lang, "unknown", chars=literal(shown)))
    if has_traditional(text[:MAX_CHARS * 4]):
        st.caption(_t(lang, "traditional"))
    return readings


def _position(lang: str, count: int) -> int:
    """The chosen character position, clamped to a text of ``count`` characters."""
    if not 0 <= int(st.session_state.get(POS_KEY, 0)) < count:
        st.session_state[POS_KEY] = count - 1 if int(st.session_state.get(POS_KEY, 0)) >= count else 0
    if count == 1:
        return 0
    return int(st.slider(_t(lang, "position"), 0, count - 1, key=POS_KEY))


def _named(readings: dict[str, NextCharacters]) -> dict[str, NextCharacters]:
    return {MODEL_NAMES[_cell(name)]: reading for name, reading in readings.items()}


def _next_view(lang: str, readings: dict[str, NextCharacters]) -> None:
    columns = st.columns(len(readings))
    for column, (name, reading) in zip(columns, readings.items()):
        column.metric(MODEL_NAMES[_cell(name)], _t(lang, "bits", bits=reading.bits_per_character),
                      help=_t(lang, "bits_help"))
    named = _named(readings)
    chars = figures.characters(next(iter(readings.values())))
    pos = _position(lang, len(chars))
    labels = _labels(lang)
    show(figures.surprise_strip(figures.strip_data(named), position=pos, labels=labels), "lm_strip",
         filename=file_name("lm_strip"))
    st.caption(_t(lang, "strip_caption"))
    st.caption(_t(lang, "position_caption", pos=pos, char=literal(chars[pos])))
    detail = figures.detail_data(named, pos)
    st.dataframe(_detail_rows(lang, detail), hide_index=True, key="lm_detail")
    colours = {MODEL_NAMES[_cell(name)]: CELL_COLOURS[_cell(name)] for name in readings}
    show(figures.detail_bars(detail, colours=colours, labels=labels), "lm_detail_bars",
         filename=file_name("lm_detail"))
    show(figures.next_character_window(figures.window_data(named, pos), position=pos, labels=labels), "lm_window",
         filename=file_name("lm_window"))
    st.caption(_t(lang, "window_caption"))


def _detail_rows(lang: str, detail: figures.DetailData) -> dict[str, list]:
    following = detail.following or _t(lang, "end_of_text")
    rows: dict[str, list] = {
        _t(lang, "table_model"): list(detail.models),
        _t(lang, "table_came"): [f"{p:.2%}" for p in detail.came.tolist()],
        _t(lang, "table_surprise"): [f"{b:.2f}" for b in detail.surprise.tolist()],
        _t(lang, "table_next", char=following): ["—" if not np.isfinite(p) else f"{p:.2%}"
                                                 for p in detail.next_probability.tolist()],
        _t(lang, "table_entropy"): [f"{e:.2f}" for e in detail.entropy.tolist()],
    }
    for k in range(detail.probabilities.shape[1]):
        rows[_t(lang, "table_guess", k=k + 1)] = [f"{g[k]} {p[k]:.1%}" for g, p in
                                                 zip(detail.guesses, detail.probabilities.tolist())]
    return rows


def _chosen_model(lang: str, models: dict[str, LanguageModel]) -> str:
    names = tuple(models)
    if st.session_state.get(MODEL_KEY) not in names:
        st.session_state[MODEL_KEY] = "lm_lstm" if "lm_lstm" in names else names[0]
    return st.radio(_t(lang, "model"), names, format_func=lambda n: MODEL_NAMES[_cell(n)], horizontal=True,
                    key=MODEL_KEY)


def _unit(lang: str, units: int) -> int:
    if not 0 <= int(st.session_state.get(UNIT_KEY, 0)) < units:
        st.session_state[UNIT_KEY] = 0
    return int(st.number_input(_t(lang, "unit", last=units - 1), 0, units - 1, step=1, key=UNIT_KEY))


def _gates_view(lang: str, models: dict[str, LanguageModel], readings: dict[str, NextCharacters]) -> None:
    name = _chosen_model(lang, models)
    trace = readings[name].trace
    cell = trace.cell_type
    convention = st.session_state.get(CONVENTION_KEY, GRU_CONVENTIONS[0])
    labels = _labels(lang)
    st.subheader(_t(lang, "gates_heading", model=MODEL_NAMES[cell]))
    left, right = st.columns(2)
    order = translated_radio(lang, t(lang, "order"), ORDERS, ORDER_KEY, lambda o: t(lang, f"order_{o}"), where=left,
                             horizontal=True)
    normalize = translated_radio(lang, t(lang, "normalize"), NORMALIZATIONS, NORMALIZE_KEY,
                                 lambda n: t(lang, f"normalize_{n}"), where=right, horizontal=True)
    names = DISPLAY_ORDER[cell]
    shown = names
    if len(names) > 1:
        choice = translated_radio(lang, t(lang, "shown"), names + (ALL,), SHOWN_KEY,
                                  lambda n: t(lang, "shown_all") if n == ALL else
                                  state_label(labels, n, convention=convention), horizontal=True,
                                  help=t(lang, "shown_help"))
        shown = names if choice == ALL else (choice,)
    st.caption(_t(lang, "gates_caption", units=trace.hidden_size))
    for gate in shown:
        show(heatmap_figure(trace, gate, order, normalize, convention, labels), key=f"lm_gate_{gate}",
             filename=file_name(f"lm_gate_{gate}", MODEL_NAMES[cell]))
    chars = figures.characters(readings[name])
    pos = _position(lang, len(chars))
    unit = _unit(lang, trace.hidden_size)
    st.subheader(_t(lang, "step_heading", pos=pos, char=literal(chars[pos])))
    equation_view(lang, trace, pos + 1, unit, 0, 0, convention, key="lm_step")
    frames = 100
    if st.toggle(_t(lang, "animation_toggle", count=frames), value=False, key=STEPS_KEY):
        show(step_animation(trace, start=pos + 1, max_frames=frames, convention=convention, labels=labels),
             key="lm_animation", filename=file_name("lm_animation", MODEL_NAMES[cell]))


def _colour_view(lang: str, models: dict[str, LanguageModel], readings: dict[str, NextCharacters]) -> None:
    st.subheader(_t(lang, "colour_heading"))
    name = _chosen_model(lang, models)
    trace = readings[name].trace
    states = ("cell", "hidden") if trace.cell is not None else ("hidden",)
    if st.session_state.get(STATE_KEY) not in states:
        st.session_state[STATE_KEY] = "hidden"
    left, right = st.columns(2)
    with left:
        which = st.radio(_t(lang, "state"), states, format_func=lambda s: _t(lang, f"state_{s}"), horizontal=True,
                         key=STATE_KEY)
    with right:
        unit = _unit(lang, trace.hidden_size)
    data = figures.tint_data(trace, which, unit)
    st.markdown(figures.tinted_html(data), unsafe_allow_html=True)
    st.markdown(figures.tint_scale_html(data.limit), unsafe_allow_html=True)
    st.caption(_t(lang, "colour_caption", model=MODEL_NAMES[trace.cell_type], unit=unit,
                  state=_t(lang, f"state_{which}")))
    values = trace.state(which)[0, 0, 1:]  # (N, H)
    varying = np.argsort(-values.astype(np.float64).var(axis=0), kind="stable")[:TOP_VARYING]
    st.caption(_t(lang, "varying", units=", ".join(str(int(u)) for u in varying)))


def _write_view(lang: str, models: dict[str, LanguageModel]) -> None:
    st.subheader(_t(lang, "write_heading"))
    name = _chosen_model(lang, models)
    model = models[name]
    cell = model.arch
    prompt_col, temperature_col, length_col, seed_col = st.columns([3, 2, 1, 1])
    prompt_col.text_input(_t(lang, "prompt"), key=PROMPT_KEY)
    temperature_col.slider(_t(lang, "temperature"), 0.0, lm_links.MAX_TEMPERATURE, step=0.05, key=TEMPERATURE_KEY)
    if not 1 <= int(st.session_state[LENGTH_KEY]) <= MAX_LENGTH:
        st.session_state[LENGTH_KEY] = DEFAULTS[LENGTH_KEY]
    length_col.number_input(_t(lang, "length"), 1, min(MAX_LENGTH, MAX_WRITE), step=10, key=LENGTH_KEY)
    seed_col.number_input(_t(lang, "seed"), 0, lm_links.MAX_SEED, step=1, key=SEED_KEY)
    convention = st.session_state.get(CONVENTION_KEY, GRU_CONVENTIONS[0])
    names = DISPLAY_ORDER[cell]
    if not isinstance(st.session_state.get(ROWS_KEY), list) or not set(st.session_state[ROWS_KEY]) <= set(names):
        st.session_state[ROWS_KEY] = list(figures.SHOWN_STATES[cell])
    labels = viz_labels(lang)
    rows = st.multiselect(_t(lang, "rows"), names, key=ROWS_KEY,
                          format_func=lambda n: state_label(labels, n, convention=convention))
    prompt = st.session_state[PROMPT_KEY]
    if len(lm_characters(prompt)) > MAX_CHARS:
        st.warning(_t(lang, "prompt_cut", count=MAX_CHARS), icon=":material/content_cut:")
    args = (prompt, float(st.session_state[TEMPERATURE_KEY]), int(st.session_state[LENGTH_KEY]),
            int(st.session_state[SEED_KEY]))
    writing = write(model, *args)
    st.markdown(_t(lang, "written", model=MODEL_NAMES[cell]))
    st.markdown(f'<div style="font-size:1.2rem;line-height:1.9;word-break:break-all">'
                f'<span style="color:gray">{html.escape(writing.prompt)}</span>'
                f'<span style="color:crimson">{html.escape(writing.written)}</span></div>', unsafe_allow_html=True)
    fig = _writing_figure(model.fingerprint, *args, tuple(rows or figures.SHOWN_STATES[cell]), lang, convention,
                          writing)
    show(fig, "lm_writing", filename=file_name("lm_writing", MODEL_NAMES[cell], f"seed{args[3]}"))
    st.caption(_t(lang, "write_caption", mean=float(np.mean(writing.probabilities))))


def _sidebar(lang: str, view: LmView, readings: dict[str, NextCharacters], models: dict[str, LanguageModel]) -> None:
    address = lm_links.link(st.context.url or DEFAULT_BASE, view)
    names = file_name("lm", view.model or "")

    def provenance() -> str:
        first = next(iter(readings.values()))
        return provenance_json(text="".join(figures.characters(first)), tokens=first.tokens, mode="char",
                               source=str(state.directory()), files={n: m.files for n, m in models.items()},
                               view=lm_links.to_params(view), date=datetime.now(UTC).isoformat(timespec="seconds"))

    with st.sidebar:
        st.header(_t(lang, "export_heading"))
        st.caption(_t(lang, "link_caption"))
        if view.text is not None and len(view.text) > lm_links.MAX_LINK_TEXT:
            st.caption(_t(lang, "link_too_long", limit=lm_links.MAX_LINK_TEXT))
        with st.popover(_t(lang, "link_copy"), icon=":material/content_copy:"):
            st.code(address, language=None, wrap_lines=True)
        if not readings:
            return
        st.download_button(_t(lang, "export_npz"), key="lm_npz", on_click="ignore", icon=":material/download:",
                           data=lambda: readings_npz(readings), file_name=f"{names}_traces.npz",
                           mime="application/octet-stream")
        st.download_button(_t(lang, "export_csv"), key="lm_csv", on_click="ignore", icon=":material/download:",
                           data=lambda: next_characters_csv(readings), file_name=f"{names}_next_characters.csv",
                           mime="text/csv")
        st.download_button(_t(lang, "export_json"), key="lm_provenance", on_click="ignore",
                           icon=":material/download:", data=provenance, file_name=f"{names}_provenance.json",
                           mime="application/json")
