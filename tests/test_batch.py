"""The batch CLI: predictions agree with the loader, saturation statistics are exact counts."""
from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

from models.files.batch import BATCH_TOKENS, length_groups, main, read_texts, run
from models.pretrained import PRETRAINED_DIR, PretrainedError, load_pretrained
from models.saturation import LayerSaturation, SaturationCounts
from tests.variants import save_model, tiny_model

TEXTS = ["我很喜欢这款手机，它的拍照功能很强大。", "", "这个热水器太费电了，千万不能买。", "   ", "好"]


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_predictions_match_the_loader(tmp_path):
    run(TEXTS, tmp_path, ("lstm", "gru"), progress=False)
    rows = _rows(tmp_path / "predictions.csv")
    assert len(rows) == len(TEXTS)
    for arch in ("lstm", "gru"):
        model = load_pretrained(arch)
        for row, text in zip(rows, TEXTS):
            if not text.strip():
                assert row[f"{arch}_label"] == "" and row["tokens"] == "0"
                continue
            analysis = model.analyze(text)
            assert row[f"{arch}_label"] == analysis.label
            positive = analysis.probabilities[-1, model.labels.index("positive")]
            assert abs(float(row[f"{arch}_positive"]) - positive) < 1e-5


def test_saturation_counts_are_exact(tmp_path):
    run(TEXTS, tmp_path, ("gru",), low=0.1, high=0.9, progress=False)
    rows = [r for r in _rows(tmp_path / "saturation.csv") if r["gate"] == "update"]
    model = load_pretrained("gru")
    gates = np.concatenate([model.analyze(t).trace.gates["update"][0, 0] for t in TEXTS if t.strip()])
    assert len(rows) == gates.shape[1]
    for row in rows:
        unit = int(row["unit"])
        assert float(row["left_saturated"]) == pytest.approx((gates[:, unit] < 0.1).mean(), abs=1e-6)
        assert float(row["right_saturated"]) == pytest.approx((gates[:, unit] > 0.9).mean(), abs=1e-6)


def test_saturation_counter_on_known_values():
    from models.trace import Trace

    update = np.array([[0.05, 0.5], [0.95, 0.95], [0.5, 0.02], [0.99, 0.5]], np.float32)[None, None]
    trace = Trace("gru", tuple("abcd"), hidden=np.zeros_like(update),
                  gates={"reset": np.full_like(update, 0.5), "update": update, "candidate": np.zeros_like(update)},
                  terms={"reset_hidden": np.zeros_like(update), "input_candidate": np.zeros_like(update)})
    counts = SaturationCounts(0.1, 0.9)
    counts.add(trace)
    rows = {(r["gate"], r["unit"]): r for r in counts.rows("gru")}
    assert rows[("update", 0)]["left_saturated"] == 0.25 and rows[("update", 0)]["right_saturated"] == 0.5
    assert rows[("update", 1)]["left_saturated"] == 0.25 and rows[("update", 1)]["right_saturated"] == 0.25
    assert rows[("reset", 0)]["left_saturated"] == 0.0


def test_traces_npz_round_trip(tmp_path):
    run(TEXTS, tmp_path, ("lstm",), keep_traces=True, progress=False)
    with np.load(tmp_path / "traces_lstm.npz") as data:  # plain arrays: allow_pickle stays False
        offsets, tokens = data["offsets"], data["tokens"]
        assert len(offsets) == len(TEXTS) + 1 and offsets[2] == offsets[1]  # the empty text has no rows
        analysis = load_pretrained("lstm").analyze(TEXTS[2])
        rows = slice(offsets[2], offsets[3])
        assert tuple(data["axes"]) == ("step", "layer", "direction", "unit")
        np.testing.assert_allclose(data["forget"][rows, 0, 0], analysis.trace.gates["forget"][0, 0], atol=1e-6)
        np.testing.assert_allclose(data["cell"][rows, 0, 0], analysis.trace.cell[0, 0], atol=1e-6)
        assert tuple(tokens[rows]) == analysis.tokens


def test_cli_reads_a_csv_column(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,review\n1,很好\n2,太差了\n", encoding="utf-8")
    assert read_texts(source, "review") == ["很好", "太差了"]
    main([str(source), "--column", "review", "--models", "rnn", "--out", str(tmp_path / "out")])
    assert len(_rows(tmp_path / "out" / "predictions.csv")) == 2
    assert "2 texts through rnn" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(source), "--column", "nope", "--out", str(tmp_path / "x")])


def test_length_groups_cover_every_text_once_within_the_token_budget():
    token_lists = [["x"] * n for n in (3, 0, 5000, 1, 0, 200, 3, 7)] + [["y"] * 40] * 600
    groups = length_groups(token_lists)
    flat = sorted(i for group in groups for i in group)
    assert flat == [i for i, toks in enumerate(token_lists) if toks]
    assert all(len(g) * max(len(token_lists[i]) for i in g) <= max(BATCH_TOKENS, 5000) for g in groups)
    assert max(map(len, groups)) > 24  # batches on both sides of the LSTM recorder's switch


def test_saturation_counts_merge_exactly():
    model = load_pretrained("gru")
    traces = [model.analyze(t).trace for t in TEXTS if t.strip()]
    whole, first, rest = SaturationCounts(), SaturationCounts(), SaturationCounts()
    for i, trace in enumerate(traces):
        whole.add(trace)
        (first if i < 1 else rest).add(trace)
    first.merge(rest)
    assert first.steps == whole.steps
    for gate in whole.below:
        np.testing.assert_array_equal(first.below[gate], whole.below[gate])
        np.testing.assert_array_equal(first.above[gate], whole.above[gate])
    with pytest.raises(ValueError, match="thresholds"):
        whole.merge(SaturationCounts(0.2, 0.8))


def test_pretrained_folder_is_where_the_models_come_from(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("vocab.json", "rnn.json", "rnn.safetensors"):
        shutil.copy(PRETRAINED_DIR / name, folder)
    main([str(_lines(tmp_path)), "--models", "rnn", "--pretrained", str(folder), "--out", str(tmp_path / "out")])
    assert _rows(tmp_path / "out" / "predictions.csv")[0]["rnn_label"] == "positive"
    with pytest.raises(PretrainedError, match="models"):
        run(["很好"], tmp_path / "x", ("gru",), pretrained=folder, progress=False)


def _lines(folder):
    path = folder / "in.txt"
    path.write_text("我很喜欢这款手机\n", encoding="utf-8")
    return path


def test_ray_options_need_the_ray_engine(tmp_path, capsys):
    for options in (["--workers", "2"], ["--address", "auto"], ["--engine", "ray", "--workers", "0"]):
        with pytest.raises(SystemExit):
            main([str(_lines(tmp_path)), *options, "--out", str(tmp_path / "out")])
        assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name,layers,bidirectional", [("gru_2layer", 2, False), ("lstm_bi", 1, True)])
def test_a_variant_writes_every_layer_and_direction(tmp_path, name, layers, bidirectional):
    model = tiny_model(name.split("_")[0], layers, bidirectional, scale=3.0)
    save_model(model, tmp_path / "models", name)
    texts = ["这部电影不好看", "", "但是演员很棒，我喜欢"]
    main(["--models", name, "--pretrained", str(tmp_path / "models"), "--traces", "--low", "0.2", "--high", "0.8",
          "--saturation-json", str(tmp_path / "saturation.json"), "--out", str(tmp_path / "out"), "--mode", "char"]
         + [str(_text_file(tmp_path, texts))])
    traces = [model.analyze(t).trace for t in texts if t]
    with np.load(tmp_path / "out" / f"traces_{name}.npz") as data:
        assert tuple(data["axes"]) == ("step", "layer", "direction", "unit")
        assert tuple(data["offsets"]) == (0, 7, 7, 17)
        for trace, (start, stop) in zip(traces, [(0, 7), (7, 17)]):
            for state, values in trace.states().items():
                np.testing.assert_allclose(data[state][start:stop], values.transpose(2, 0, 1, 3), atol=1e-6)
    dirs = 2 if bidirectional else 1
    rows = _rows(tmp_path / "out" / "saturation.csv")
    gate = "update" if name.startswith("gru") else "forget"
    found = {(int(r["layer"]), int(r["direction"]), int(r["unit"])): float(r["left_saturated"])
             for r in rows if r["gate"] == gate}
    assert len(found) == layers * dirs * 6
    for layer in range(layers):
        for direction in range(dirs):
            values = np.concatenate([t.gates[gate][layer, direction] for t in traces])  # (steps, H)
            for unit in range(6):
                assert found[layer, direction, unit] == pytest.approx((values[:, unit] < 0.2).mean(), abs=1e-6)
    summary = json.loads((tmp_path / "saturation.json").read_text(encoding="utf-8"))["models"][name]
    assert len(summary["layers"]) == layers and len(summary["layers"][0]) == dirs
    counts = LayerSaturation(0.2, 0.8)
    for trace in traces:
        counts.add(trace)
    assert LayerSaturation.from_arrays("x", counts.to_arrays("x"), 0.2, 0.8).summary() == counts.summary()


def _text_file(folder, texts):
    path = folder / "variant_texts.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path
