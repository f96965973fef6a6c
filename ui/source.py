"""The input: language switch, text area, one-click examples, segmentation, and the tokens as read."""
from __future__ import annotations

import html
from dataclasses import dataclass

import streamlit as st

from models.tokenize import MODES
from ui.common import literal, translated_radio
from ui.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, t

TEXT_KEY = "text"
LANG_KEY = "lang"
PAIR_KEYS = ("pair_a", "pair_b")
MOSTLY_UNKNOWN = 0.5  # above this share of unknown tokens, say the prediction means little
SOME_UNKNOWN = 0.2  # above this share, point at the dashed tokens
LATIN_SHARE = 0.3  # above this share of tokens with Latin letters (English), say plainly that the models read Chinese
MAX_CHIPS = 120  # tokens drawn as chips; a long text shows the first ones and a count
TEXT_HEIGHT = 110
CHIP = "display:inline-block;margin:2px 3px;padding:1px 7px;border-radius:6px;font-size:0.95rem;"
KNOWN_STYLE = CHIP + "background:rgba(49,120,198,0.12);border:1px solid rgba(49,120,198,0.35);"
UNKNOWN_STYLE = CHIP + "background:transparent;border:1px dashed #999;color:#888;"


@dataclass(frozen=True)
class Example:
    """A one-click example: its string key (name and description in ui.i18n) and its text."""

    key: str
    text: str
    pair: tuple[str, str] | None = None  # also fills the Two sentences tab


PAIR = ("张三非常生气，冲动之下打了李四", "李四非常生气，冲动之下打了张三")
EXAMPLES = (
    Example("ex_phone", "我很喜欢这款手机，它的拍照功能很强大。"),
    Example("ex_heater", "这个热水器太费电了，千万不能买。"),
    Example("ex_ai", "我爱人工智能"),
    Example("ex_order", PAIR[0], pair=PAIR),
    Example(
        "ex_restaurant",
        "我觉得这家餐馆的菜品很不错，烤鸭非常正宗，包子也不错，酱牛肉很有嚼劲，但是服务员态度太恶劣了，"
        "我们在门口等了50分钟都没有能成功进去，好不容易进去了，桌子也半天没人打扫，整个环境非常吵闹，"
        "我的孩子都被吓哭了，我下次不会带朋友来。",
    ),
    Example("ex_forget", "昨天我去爬了长城，哦不对，是前天"),
    Example("ex_de", "我的老师的讲课的方式的确很好，我们的成绩的提高很明显。"),
    Example("ex_english", "I love this phone, but the battery is terrible."),
)
DEFAULT_TEXT = EXAMPLES[0].text
EXAMPLES_PER_ROW = 4


@dataclass(frozen=True)
class Source:
    """What to analyse: the text as typed and the segmentation mode."""

    text: str
    mode: str


def init_state() -> None:
    """Defaults for the widgets whose value is set from callbacks (examples), once per session."""
    st.session_state.setdefault(TEXT_KEY, DEFAULT_TEXT)
    for key, sentence in zip(PAIR_KEYS, PAIR):
        st.session_state.setdefault(key, sentence)


def language_switch() -> str:
    """The language radio, top right; returns "zh" or "en"."""
    return st.radio(
        t(DEFAULT_LANG, "language"), LANGS, index=LANGS.index(DEFAULT_LANG), format_func=LANG_NAMES.__getitem__,
        horizontal=True, key=LANG_KEY, label_visibility="collapsed",
    )


def _use_example(example: Example) -> None:
    st.session_state[TEXT_KEY] = example.text
    if example.pair is not None:
        for key, sentence in zip(PAIR_KEYS, example.pair):
            st.session_state[key] = sentence


def source_section(lang: str) -> Source:
    """Text area, segmentation and example buttons; returns the current text and mode."""
    left, right = st.columns([3, 1])
    with left:
        text = st.text_area(t(lang, "text_label"), key=TEXT_KEY, height=TEXT_HEIGHT, help=t(lang, "text_help"))
    with right:
        mode = translated_radio(
            lang, t(lang, "mode_label"), MODES, "mode", lambda m: t(lang, f"mode_{m}"), help=t(lang, "mode_help"),
        )
        st.button(t(lang, "analyze"), key="analyze", type="primary")
    st.caption(t(lang, "examples"))
    for start in range(0, len(EXAMPLES), EXAMPLES_PER_ROW):
        row = EXAMPLES[start : start + EXAMPLES_PER_ROW]
        for col, example in zip(st.columns(EXAMPLES_PER_ROW), row):
            col.button(
                t(lang, example.key), key=f"example_{example.key}", help=t(lang, f"{example.key}_desc"),
                on_click=_use_example, args=(example,), width="stretch",
            )
    current = next((e for e in EXAMPLES if e.text == text), None)
    if current is not None:
        st.info(t(lang, f"{current.key}_desc"), icon=":material/lightbulb:")
    return Source(text=text, mode=mode)


def token_chips(tokens: tuple[str, ...], unknown: tuple[bool, ...], lang: str) -> None:
    """The tokens as chips, unknown ones dashed. Every token is HTML-escaped before display."""
    chips = [
        f'<span style="{UNKNOWN_STYLE if unk else KNOWN_STYLE}">{literal(tok)}</span>'
        for tok, unk in zip(tokens[:MAX_CHIPS], unknown[:MAX_CHIPS])
    ]
    more = f" … +{len(tokens) - MAX_CHIPS:,}" if len(tokens) > MAX_CHIPS else ""
    st.markdown(f"**{html.escape(t(lang, 'tokens_heading', count=len(tokens)))}**")
    st.markdown(f'<div style="line-height:2">{"".join(chips)}{html.escape(more)}</div>', unsafe_allow_html=True)
    if any(unknown):
        st.caption(t(lang, "tokens_legend"))


def latin_share(tokens: tuple[str, ...]) -> float:
    """The share of ``tokens`` holding a Latin letter (English words), 0 for no tokens."""
    latin = sum(any("a" <= ch.lower() <= "z" for ch in token) for token in tokens)
    return latin / len(tokens) if tokens else 0.0


def text_notes(result, lang: str, *, traditional: bool) -> None:
    """What was cut from a long text, traditional characters read as simplified, and a plain warning when
    the text is English (the models read Chinese) or most tokens are unknown."""
    if result.chars_read < result.chars_total:
        st.warning(
            t(lang, "cut_chars", read=result.chars_read, total=result.chars_total), icon=":material/content_cut:"
        )
    if result.tokens_read < result.tokens_total:
        st.warning(t(lang, "cut_tokens", kept=result.tokens_read, total=result.tokens_total),
                   icon=":material/content_cut:")
    if traditional:
        st.info(t(lang, "traditional_note"), icon=":material/translate:")
    share = result.analysis.unknown_share
    if latin_share(result.analysis.tokens) > LATIN_SHARE and share > 0:
        st.warning(t(lang, "reads_chinese", share=share), icon=":material/translate:")
    elif share > MOSTLY_UNKNOWN:
        st.warning(t(lang, "mostly_unknown", share=share), icon=":material/help:")
    elif share > SOME_UNKNOWN:
        st.info(t(lang, "some_unknown", share=share))
