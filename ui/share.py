"""Share and export, in the sidebar: the view in the URL and a link to copy, the session file, the numbers
of the text as files, the toolbar's image format, and your own models, uploaded for this session only.

The page calls ``open_link`` first (once per session it applies the URL's view to the widgets' state),
``settle`` once the text is read (what the page cannot show is dropped with a note), and ``finish``
last (the URL follows the view; the sidebar is drawn). The parsing is ``ui.links`` (pure).
"""
from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from models.files.export import MAX_CSV_ROWS, planned_csv_rows, provenance_json, tidy_csv, traces_npz
from models.files.upload import MAX_UPLOAD_MB, UploadError, read_upload
from ui import links, state
from ui.common import literal, model_list, translated_radio
from ui.figure_files import IMAGE_FORMAT_KEY, IMAGE_FORMATS
from ui.i18n import LANGS, error_text, t
from ui.links import Note, ViewState
from ui.shapes import shape_of
from ui.source import LANG_KEY, PAIR_KEYS, TEXT_KEY, init_state
from ui.tabs import CONVENTION_KEY, OPEN_KEY, TAB_KEY, TABS
from viz.export import file_name

MODE_KEY = "mode"  # ui.source's segmentation, kept across languages by translated_radio
STEP_KEYS = {"token": "step_token", "unit": "step_unit"}  # ui.step's widgets
MODEL_TABS = ("read", "step", "pair", "memory", "whatif")  # tabs with a model choice, keyed f"{tab}_model"
APPLIED_KEY = "link_applied"  # the URL's view was applied in this session
NOTES_KEY = "link_notes"  # (the text they came with, the notes): shown until the text changes
RESTORED_KEY = "session_restored"  # (the text it restored, the file's name): said until the text changes
PENDING_KEY = "link_pending"  # a view just applied, its indices and model not yet checked against the page
VIEW_KEY = "link_view"  # the view last written to the URL
SESSION_FILE_KEY = "session_file"
MODEL_FILES_KEY = "model_files"  # + a version: a new key empties the uploader
MODEL_FILES_VERSION = "model_files_version"
UPLOAD_ERROR_KEY = "model_files_error"  # (code, fields) of the last upload's UploadError, shown in the page's language
SKIPPED_KEY = "model_files_skipped"  # the files the upload in use holds that the page does not read
DEFAULT_BASE = "http://localhost:8501/"  # the link's address when the browser has not told it (tests)
SHORT_LINK = 48  # characters of the link the sidebar shows; the whole link is in a popover with a copy button


def _tab_names() -> tuple[str, ...]:
    """The `tab` values this page has (ui.tabs.TABS less "tab_"; "whatif" once that tab exists)."""
    return tuple(key.removeprefix("tab_") for key in TABS)


def _apply(view: ViewState, notes: tuple[Note, ...]) -> None:
    """Set the widgets' state to ``view`` (None fields untouched) before they are drawn; keep the notes."""
    s = st.session_state
    if view.text is not None:
        s[TEXT_KEY] = view.text
    if view.pair is not None:
        s[PAIR_KEYS[0]], s[PAIR_KEYS[1]] = view.pair
    if view.lang is not None:
        s[LANG_KEY] = view.lang
    for key, value in ((MODE_KEY, view.mode), (CONVENTION_KEY, view.gru)):
        if value is not None:  # a translated radio: the kept choice, and no per-language widget to outvote it
            s[key] = value
            for lang in LANGS:
                s.pop(f"{key}_{lang}", None)
    if view.tab is not None:
        s[OPEN_KEY] = f"tab_{view.tab}"
        s.pop(TAB_KEY, None)  # ui.tabs opens the tab named by OPEN_KEY
    if view.model is not None:
        for tab in MODEL_TABS:
            s[f"{tab}_model"] = view.model  # a variant's name: ui.common.model_selector takes its cell and shape
            s[f"{tab}_model_shape"] = shape_of(view.model)
            for lang in LANGS:
                s.pop(f"{tab}_model_shape_{lang}", None)
    for name, key in STEP_KEYS.items():
        if getattr(view, name) is not None:
            s[key] = getattr(view, name)
    s[NOTES_KEY] = (s.get(TEXT_KEY), notes)
    s[PENDING_KEY] = view


def open_link() -> None:
    """Once per session, before any widget is drawn: the view the URL asks for."""
    if st.session_state.get(APPLIED_KEY):
        return
    st.session_state[APPLIED_KEY] = True
    init_state()  # the defaults first, so that the link's values override them and notes know the text
    view, notes = links.parse({name: st.query_params.get_all(name) for name in st.query_params})
    _apply(view, notes)


def settle(steps: int) -> None:
    """Drop what the page cannot show from the view just applied (a token past the ``steps`` read, a unit
    past the model's, a model not loaded, a tab the page lacks), each with a note."""
    view = st.session_state.pop(PENDING_KEY, None)
    if view is None:
        return
    models = state.load_models()
    shown = view.model if view.model in models else state.main_arch()
    units = models[shown].model.config.hidden_size
    kept, notes = links.check_ranges(view, steps=steps, units=units, models=tuple(models), tabs=_tab_names())
    s = st.session_state
    for name, key in STEP_KEYS.items():
        if getattr(view, name) is not None and getattr(kept, name) is None:
            s.pop(key, None)
    if view.model is not None and kept.model is None:
        for tab in MODEL_TABS:
            s.pop(f"{tab}_model", None)
            s.pop(f"{tab}_model_shape", None)
    if view.tab is not None and kept.tab is None:
        s.pop(OPEN_KEY, None)
        s.pop(TAB_KEY, None)
    text, earlier = s.get(NOTES_KEY, (None, ()))
    s[NOTES_KEY] = (text, earlier + notes)


def _note_text(lang: str, note: Note) -> str:
    return t(lang, f"link_note_{note.reason}", param=literal(note.param), value=literal(note.value[:80]),
             allowed=", ".join(note.allowed) or "—")


def show_notes(lang: str, where) -> None:
    """That a session file was restored, and the values a link or session file held that the page ignored,
    until the text is changed."""
    text, name = st.session_state.get(RESTORED_KEY, (None, None))
    if name is not None and text != st.session_state.get(TEXT_KEY):
        st.session_state.pop(RESTORED_KEY)
    elif name is not None:
        where.success(t(lang, "session_loaded", name=literal(name)), icon=":material/restore_page:")
    text, notes = st.session_state.get(NOTES_KEY, (None, ()))
    if notes and text != st.session_state.get(TEXT_KEY):
        st.session_state.pop(NOTES_KEY)
        return
    for note in notes:
        where.warning(_note_text(lang, note), icon=":material/link_off:")


def current_view(opened: str | None) -> ViewState:
    """The view as the widgets hold it now; what no widget holds this run keeps its last value."""
    s = st.session_state
    last = s.get(VIEW_KEY, ViewState())
    tab = (opened or s.get(OPEN_KEY) or TABS[0]).removeprefix("tab_")
    model = (s.get(f"{tab}_model_name") or s.get(f"{tab}_model")) if tab in MODEL_TABS else None
    indices = {name: s.get(key) for name, key in STEP_KEYS.items()}
    pair = tuple(s.get(key) for key in PAIR_KEYS)
    return ViewState(
        text=s.get(TEXT_KEY), mode=s.get(MODE_KEY), tab=tab, model=model or last.model,
        token=int(indices["token"]) if indices["token"] is not None else last.token,
        unit=int(indices["unit"]) if indices["unit"] is not None else last.unit,
        lang=s.get(LANG_KEY), gru=s.get(CONVENTION_KEY),
        pair=pair if all(isinstance(p, str) for p in pair) else None,
    )


def sync_url(view: ViewState) -> None:
    """The URL's query follows ``view``; nothing is sent when it already does."""
    current = st.query_params.to_dict()
    params = {**links.to_params(view), **{k: v for k, v in current.items() if k in links.PASSED_ON}}
    if current != params:
        st.query_params.from_dict(params)
    st.session_state[VIEW_KEY] = view


def _open_session() -> None:
    """The uploader's callback: restore the text and the view from a session file."""
    found = st.session_state.get(SESSION_FILE_KEY)
    if found is None:
        return
    view, notes = links.parse_session(found.getvalue(), found.name)
    _apply(view, notes)
    restored = not any(note.reason == "not_session" for note in notes)
    if restored:
        st.session_state[RESTORED_KEY] = (st.session_state.get(TEXT_KEY), found.name)
    else:
        st.session_state.pop(RESTORED_KEY, None)


def _upload_models() -> None:
    """The uploader's callback: validate the files and use them in this session, or say what is wrong."""
    files = st.session_state.get(f"{MODEL_FILES_KEY}_{st.session_state.get(MODEL_FILES_VERSION, 0)}") or []
    st.session_state.pop(UPLOAD_ERROR_KEY, None)
    if not files:
        state.drop_upload()
        st.session_state.pop(SKIPPED_KEY, None)
        return
    try:
        found = read_upload([(f.name, f.getvalue()) for f in files])
    except UploadError as err:
        st.session_state[UPLOAD_ERROR_KEY] = (err.code, err.fields)
        return
    state.use_upload(found.models, tuple(f.name for f in files))
    st.session_state[SKIPPED_KEY] = found.skipped


def _drop_models() -> None:
    state.drop_upload()
    st.session_state.pop(UPLOAD_ERROR_KEY, None)
    st.session_state.pop(SKIPPED_KEY, None)
    st.session_state[MODEL_FILES_VERSION] = st.session_state.get(MODEL_FILES_VERSION, 0) + 1


def _link_section(lang: str, view: ViewState) -> None:
    if links.link_fits(view):
        st.caption(t(lang, "link_caption"))
    else:
        st.info(t(lang, "link_too_long", length=len(view.text), limit=links.MAX_LINK_TEXT), icon=":material/link:")
    address = links.link(st.context.url or DEFAULT_BASE, view)
    st.caption(f":material/link: {literal(short_link(address))}")
    with st.popover(t(lang, "link_copy"), icon=":material/content_copy:"):  # drawn when opened: the code
        st.code(address, language=None, wrap_lines=True)  # block's highlighter is 1.5 MB the page need not load
    st.download_button(
        t(lang, "session_download"), mime="application/json",
        data=lambda: links.session_json(view, saved=datetime.now(UTC).isoformat(timespec="seconds")),
        file_name=f"{file_name('session', (view.text or '')[:20])}.json", key="session_download",
        help=t(lang, "session_download_help"), on_click="ignore", icon=":material/save:",
    )
    st.file_uploader(t(lang, "session_upload"), type=["json"], key=SESSION_FILE_KEY, on_change=_open_session)


def short_link(address: str) -> str:
    """``address`` cut to SHORT_LINK characters with an ellipsis, for the sidebar."""
    return address if len(address) <= SHORT_LINK else address[: SHORT_LINK - 1] + "…"


def _numbers_section(lang: str, view: ViewState, steps: int) -> None:
    """NPZ, CSV and provenance JSON of every model on the text, each made only when its button is clicked."""
    st.subheader(t(lang, "export_heading"))
    st.caption(t(lang, "export_caption"))
    models = state.load_models()
    analyze, text, mode = state.analyzer(), view.text or "", view.mode or "word"
    names = file_name(text[:20])

    def traces():
        return {arch: analyze(arch, text, mode).analysis.trace for arch in models}

    def provenance() -> str:
        found = analyze(state.main_arch(), text, mode)
        upload = state.uploaded()
        source = f"upload: {', '.join(upload.names)}" if upload else str(state.directory())
        return provenance_json(
            text=text[: state.MAX_CHARS], tokens=found.analysis.tokens, mode=mode, source=source,
            files={arch: model.files for arch, model in models.items()}, view=links.to_params(view),
            date=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    rows = planned_csv_rows(steps, {name: m.model.config for name, m in models.items()})
    st.download_button(t(lang, "export_npz"), data=lambda: traces_npz(traces()), file_name=f"{names}_traces.npz",
                       mime="application/octet-stream", key="export_npz", on_click="ignore", icon=":material/download:")
    st.download_button(t(lang, "export_csv"), data=lambda: tidy_csv(traces()), file_name=f"{names}_traces.csv",
                       mime="text/csv", key="export_csv", on_click="ignore", disabled=rows > MAX_CSV_ROWS,
                       icon=":material/download:")
    st.download_button(t(lang, "export_json"), data=provenance, file_name=f"{names}_provenance.json",
                       mime="application/json", key="export_json", on_click="ignore", icon=":material/download:")
    if rows > MAX_CSV_ROWS:
        st.caption(t(lang, "export_csv_too_big", rows=rows, limit=MAX_CSV_ROWS))
    translated_radio(lang, t(lang, "image_format"), IMAGE_FORMATS, IMAGE_FORMAT_KEY, str.upper, horizontal=True,
                     help=t(lang, "image_format_help"))


def _models_section(lang: str) -> None:
    st.subheader(t(lang, "own_heading"))
    st.caption(t(lang, "own_caption", limit=MAX_UPLOAD_MB))
    upload = state.uploaded()
    if upload is not None:
        st.success(t(lang, "own_using_upload", names=literal(", ".join(upload.names))), icon=":material/upload:")
        st.caption(t(lang, "own_loaded", archs=model_list(lang, upload.models)))  # 、 in Chinese
        skipped = st.session_state.get(SKIPPED_KEY)
        if skipped:
            st.caption(t(lang, "own_skipped", names=literal(", ".join(skipped))))
        st.button(t(lang, "own_drop"), key="own_drop", on_click=_drop_models)
    else:
        st.caption(t(lang, "own_using_shipped", folder=literal(str(state.directory()))))
    st.file_uploader(
        t(lang, "own_upload"),
        accept_multiple_files=True,
        key=f"{MODEL_FILES_KEY}_{st.session_state.get(MODEL_FILES_VERSION, 0)}",
        on_change=_upload_models,
        max_upload_size=MAX_UPLOAD_MB,
    )
    error = st.session_state.get(UPLOAD_ERROR_KEY)
    if error:
        st.error(t(lang, "own_error", error=literal(error_text(lang, *error))), icon=":material/error:")


def finish(lang: str, opened: str | None, steps: int | None) -> None:
    """Last in a run: the URL follows the view, and the sidebar offers the link, the files and the upload.
    ``steps``: tokens read (None when there is no text to read: then there are no numbers to export)."""
    view = current_view(opened)
    sync_url(view)
    with st.sidebar:
        st.header(t(lang, "share_heading"))
        _link_section(lang, view)
        if steps:
            _numbers_section(lang, view, steps)
        _models_section(lang)


def models_sidebar(lang: str) -> None:
    """Only the upload, for a page whose own models could not be loaded."""
    with st.sidebar:
        _models_section(lang)

