"""Exports of the page's numbers: the NPZ loads back to the traces, the CSV parses to the right rows,
the provenance names the files by their hashes."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from models import VERSION
from models.files.export import (
    CSV_COLUMNS,
    MAX_CSV_ROWS,
    csv_rows,
    planned_csv_rows,
    provenance_json,
    tidy_csv,
    traces_npz,
)
from models.pretrained import ARCHS, load_pretrained

TEXT = "这个热水器太费电了，千万不能买。"


@pytest.fixture(scope="module")
def models():
    return {arch: load_pretrained(arch) for arch in ARCHS}


@pytest.fixture(scope="module")
def traces(models):
    return {arch: model.analyze(TEXT).trace for arch, model in models.items()}


def test_npz_loads_back_every_array_of_every_model(traces):
    found = np.load(io.BytesIO(traces_npz(traces)))
    for arch, trace in traces.items():
        names = {*trace.gates, *trace.terms, "hidden", *(("cell",) if trace.cell is not None else ())}
        for name in names:
            np.testing.assert_array_equal(found[f"{arch}/{name}"], trace.state(name))
            assert found[f"{arch}/{name}"].dtype == np.float32
        np.testing.assert_array_equal(found[f"{arch}/probabilities"], trace.probabilities)
        # strings are unicode arrays, so they load without allow_pickle
        assert tuple(found[f"{arch}/labels"]) == trace.labels and tuple(found[f"{arch}/tokens"]) == trace.tokens


def test_csv_has_one_row_per_value_and_gives_the_numbers_back(traces):
    text = tidy_csv(traces)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    steps = len(traces["lstm"].tokens)
    assert len(rows) == csv_rows(traces) == steps * 128 * (1 + 6 + 4)  # RNN h; LSTM i f g o c h; GRU r z n h
    assert planned_csv_rows(steps, {arch: 128 for arch in traces}) == len(rows)
    by_key = {(r["model"], r["state"], int(r["step"]), int(r["unit"])): r for r in rows}
    for arch, trace in traces.items():
        for name, values in trace.states().items():
            got = np.array([[float(by_key[arch, name, t, u]["value"]) for u in range(128)] for t in range(steps)],
                           dtype=np.float32)
            np.testing.assert_array_equal(got, values[0, 0])  # exactly: nine digits give a float32 back
        assert [by_key[arch, "hidden", t, 0]["token"] for t in range(steps)] == list(trace.tokens)


def test_csv_refuses_more_rows_than_the_cap(traces, monkeypatch):
    import models.files.export as export

    monkeypatch.setattr(export, "MAX_CSV_ROWS", csv_rows(traces) - 1)
    with pytest.raises(ValueError, match="NPZ"):
        export.tidy_csv(traces)
    assert MAX_CSV_ROWS > 10_000 * 128 * 2


def test_provenance_names_the_text_tokens_and_file_hashes(models, traces):
    files = {arch: model.files for arch, model in models.items()}
    record = json.loads(provenance_json(text=TEXT, tokens=traces["lstm"].tokens, mode="word", files=files,
                                        date="2026-01-02T03:04:05+00:00", view={"tab": "read"}))
    assert record["text"] == TEXT and record["tokens"] == list(traces["lstm"].tokens)
    assert record["tokenizer_mode"] == "word" and record["project_version"] == VERSION
    assert record["date"].startswith("2026-01-02") and record["view"] == {"tab": "read"}
    import hashlib

    from models.pretrained import PRETRAINED_DIR
    for arch in ARCHS:
        listed = record["models"][arch]["files"]
        assert set(listed) == {"vocab.json", f"{arch}.json", f"{arch}.safetensors"}
        for name, entry in listed.items():
            assert entry["sha256"] == hashlib.sha256((PRETRAINED_DIR / name).read_bytes()).hexdigest()


# Figures as files: names, the toolbar's options, standalone HTML; and the page's buttons (AppTest) ------------


def test_file_names_say_what_they_hold_and_nothing_a_file_system_trips_on():
    from viz.export import MAX_NAME, file_name

    name = file_name(
        "read_gate_forget", "LSTM", "遗忘门 f — 每 3 个词取平均 <b>P(正面)</b> &amp; a/b", "我很喜欢，它的"
    )
    assert name == "rnn-gates_read_gate_forget_LSTM_遗忘门-f-每-3-个词取平均-P-正面-a-b_我很喜欢-它的"
    assert len(file_name("x" * 200)) == MAX_NAME and file_name("../..", "") == "rnn-gates"


def test_standalone_html_inlines_plotly_and_names_its_page():
    import plotly.graph_objects as go

    from viz.export import standalone_html

    page = standalone_html(go.Figure(go.Scatter(y=[1, 2])), title="a <b>")
    assert page.lower().startswith(b"<!doctype html>") and b"<title>a &lt;b&gt;</title>" in page
    assert b'<script src="http' not in page and len(page) > 3_000_000  # plotly.js is inside, not fetched


def test_every_chart_saves_a_named_image_at_twice_its_size_and_offers_html():
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=90).run()
    charts = at.get("plotly_chart")
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b for b in at.get("download_button")}
    assert len(charts) == 2  # the Read tab: the prediction curve and the first gate's map
    for chart in charts:
        key = chart.proto.id.rsplit("-", 1)[-1]
        options = json.loads(chart.proto.config)["toImageButtonOptions"]
        assert options["scale"] == 2 and options["format"] == "png"
        assert options["filename"].startswith(f"rnn-gates_{key}_LSTM_")
        assert buttons[f"{key}_html"].proto.deferred_file_id  # built only when clicked
    at.radio(key="image_format_zh").set_value("svg").run()
    assert {json.loads(c.proto.config)["toImageButtonOptions"]["format"] for c in at.get("plotly_chart")} == {"svg"}
    numbers = {b.label: b for b in at.get("download_button")}
    for label in ("数组 (NPZ)", "表格 (CSV)", "来源 (JSON)"):
        assert numbers[label].proto.deferred_file_id and not numbers[label].proto.disabled
    st.cache_data.clear()


def test_every_layer_and_direction_of_a_variant_is_exported_with_named_axes():
    from tests.variants import tiny_model

    models = {"gru_2layer": tiny_model("gru", 2, False), "lstm_bi": tiny_model("lstm", 1, True)}
    found = {name: model.analyze("这部电影不好看").trace for name, model in models.items()}
    npz = np.load(io.BytesIO(traces_npz(found)))
    for name, trace in found.items():
        assert tuple(npz[f"{name}/axes"]) == ("layer", "direction", "step", "unit")
        for state, values in trace.states().items():
            np.testing.assert_array_equal(npz[f"{name}/{state}"], values)
    rows = list(csv.DictReader(io.StringIO(tidy_csv(found))))
    assert len(rows) == planned_csv_rows(7, {name: m.model.config for name, m in models.items()})
    assert len(rows) == 7 * 6 * (2 * 4 + 2 * 6)  # GRU r z n h on two layers; LSTM i f g o c h both ways
    backward = {(int(r["step"]), int(r["unit"])): r for r in rows
                if r["model"] == "lstm_bi" and r["state"] == "cell" and r["direction"] == "1"}
    assert float(backward[0, 3]["value"]) == pytest.approx(float(found["lstm_bi"].cell[0, 1, 0, 3]), abs=1e-7)
    assert backward[0, 3]["token"] == "这"
    upper = [r for r in rows if r["model"] == "gru_2layer" and r["layer"] == "1" and r["state"] == "update"]
    assert len(upper) == 7 * 6
    record = json.loads(provenance_json(text="这部电影不好看", tokens=found["lstm_bi"].tokens, mode="char", files={},
                                        date="2026-01-02T03:04:05+00:00"))
    assert "right to left" in record["directions"]
