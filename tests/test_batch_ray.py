"""``models.files.batch --engine ray``: the local engine's numbers and files from Ray Data, also when a worker dies.

One local Ray with 2 CPUs for the module. Ray is a dev requirement: without it these tests fail, not skip.
"""
from __future__ import annotations

import csv
import os
import shutil
import socket
import sys

import numpy as np
import pytest
import ray

from models.files.batch import MAX_TOKENS, length_groups, main
from models.files.batch_ray import OBJECT_STORE_BYTES, Recorder, import_ray, run_ray
from models.pretrained import PRETRAINED_DIR, PretrainedError
from models.training.corpus import unique_texts

ARCHS = ("rnn", "lstm", "gru")
LONG = "很好 " * 10_000  # 10,000 tokens, cut to MAX_TOKENS as the local engine cuts it
UNKNOWN = "ꙮꙮꙮ ᚠᚢᚦ"  # no token in the vocabulary


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, object_store_memory=OBJECT_STORE_BYTES // 2, include_dashboard=False,
             logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = unique_texts()
    return corpus[:: len(corpus) // 250][:250] + ["", LONG, UNKNOWN]  # every length, and the odd ones


@pytest.fixture(scope="module")
def local(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("local")
    source = folder / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    main([str(source), "--traces", "--out", str(folder / "out")])
    return source, folder / "out"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_same_predictions(ray_out, local_out):
    got, want = _rows(ray_out / "predictions.csv"), _rows(local_out / "predictions.csv")
    assert [r["index"] for r in got] == [r["index"] for r in want]  # every text once, in input order
    for row, expected in zip(got, want):
        assert row["tokens"] == expected["tokens"]
        for arch in ARCHS:
            assert row[f"{arch}_label"] == expected[f"{arch}_label"]
            if expected[f"{arch}_positive"]:
                assert abs(float(row[f"{arch}_positive"]) - float(expected[f"{arch}_positive"])) <= 1e-6
            else:
                assert row[f"{arch}_positive"] == ""
    assert _rows(ray_out / "saturation.csv") == _rows(local_out / "saturation.csv")


def test_ray_engine_writes_what_the_local_engine_writes(tmp_path, local):
    source, local_out = local
    pretrained = tmp_path / "models"
    shutil.copytree(PRETRAINED_DIR, pretrained)
    out = tmp_path / "ray"
    main([str(source), "--traces", "--engine", "ray", "--workers", "2", "--pretrained", str(pretrained),
          "--out", str(out)])
    _assert_same_predictions(out, local_out)
    rows = _rows(out / "predictions.csv")
    assert rows[-3]["tokens"] == "0" and rows[-3]["lstm_label"] == ""  # the empty line
    assert rows[-2]["tokens"] == str(MAX_TOKENS) and rows[-1]["gru_label"] in ("positive", "negative")
    for arch in ARCHS:
        with np.load(out / f"traces_{arch}.npz") as got, np.load(local_out / f"traces_{arch}.npz") as want:
            assert sorted(got.files) == sorted(want.files)
            np.testing.assert_array_equal(got["offsets"], want["offsets"])
            np.testing.assert_array_equal(got["tokens"], want["tokens"])
            for name in want.files:
                if name not in ("offsets", "tokens", "axes"):
                    assert got[name].dtype == want[name].dtype
                    np.testing.assert_allclose(got[name], want[name], atol=1e-6, rtol=0)


def test_a_worker_that_dies_is_retried_and_nothing_is_lost(tmp_path, local, texts):
    marker = tmp_path / "die"
    marker.touch()

    class DiesOnce(Recorder):
        """Exits hard on its second batch while the marker exists, deleting it first: one death, mid-run."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.calls = 0

        def record(self, token_lists):
            self.calls += 1
            if self.calls == 2 and marker.exists():
                marker.unlink()
                os._exit(1)
            return super().record(token_lists)

    lengths = [int(row["tokens"]) for row in _rows(local[1] / "predictions.csv")]
    assert len(length_groups([["x"] * n for n in lengths])) >= 3  # the death falls between batches done and to do
    run_ray(texts, tmp_path / "ray", workers=1, progress=False, recorder=DiesOnce)
    assert not marker.exists()  # the worker did die
    _assert_same_predictions(tmp_path / "ray", local[1])


def test_one_clear_message_without_ray_or_cluster(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where it is not installed
    with pytest.raises(SystemExit, match=r"pip install 'ray\[data\]=="):
        import_ray()
    monkeypatch.undo()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = tmp_path / "in.txt"
    source.write_text("很好\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        main([str(source), "--engine", "ray", "--address", f"127.0.0.1:{port}", "--out", str(tmp_path / "out")])


def test_a_missing_model_fails_on_the_driver(tmp_path):
    with pytest.raises(PretrainedError, match="empty"):
        run_ray(["很好"], tmp_path / "out", ("gru",), pretrained=tmp_path / "empty", progress=False)
