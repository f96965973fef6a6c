"""Your own data and models, end to end: train on a CSV made here (three classes), then read with the
result in the page, from a folder ($RNN_GATES_PRETRAINED) and as an upload that stays in its session."""
from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.training.corpus import load_csv, split_corpus
from tests.test_app import APP, chart_specs
from ui import state
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent
CLASSES = {
    "sports": ["足球", "比赛", "球队", "进球", "冠军", "教练"],
    "tech": ["手机", "电脑", "芯片", "软件", "屏幕", "电池"],
    "food": ["烤鸭", "包子", "米饭", "好吃", "餐馆", "面条"],
}
ROWS_PER_CLASS = 14
TEXT = "我觉得这个手机的电池和屏幕都不错"


def write_csv(path: Path) -> None:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "review", "label"])
        for label, words in CLASSES.items():
            for i in range(ROWS_PER_CLASS):
                writer.writerow([i, "我觉得" + "".join(rng.sample(words, 3)) + f"，第{i}次", label])


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("own")
    write_csv(folder / "my.csv")
    subprocess.run(
        [sys.executable, "-m", "models.training.train", "--data", str(folder / "my.csv"), "--text-column", "review",
         "--label-column", "label", "--out", str(folder / "mymodels"), "--epochs", "1", "--threads", "1"],
        cwd=ROOT, check=True, capture_output=True,
    )
    return folder / "mymodels"


def test_training_on_a_csv_writes_a_three_class_model(trained):
    names = sorted(p.name for p in trained.iterdir())
    assert names == ["comparison.json", "gru.json", "gru.safetensors", "lstm.json", "lstm.safetensors", "rnn.json",
                     "rnn.safetensors", "split.json", "vocab.json"]
    card = json.loads((trained / "lstm.json").read_text(encoding="utf-8"))
    assert card["config"]["labels"] == ["food", "sports", "tech"] and card["config"]["num_classes"] == 3
    assert card["suites"] == {} and isinstance(card["data"]["augmentation"], str)  # neither is for custom data
    assert card["data"]["split"] == {"train": 36, "validation": 3, "test": 3}  # one per class in each held-out part
    assert "my.csv" in card["data"]["corpus"]
    split = json.loads((trained / "split.json").read_text(encoding="utf-8"))
    assert split["sizes"]["test"] == {"food": 1, "sports": 1, "tech": 1}


def test_the_csv_split_is_seeded_and_stratified(tmp_path):
    write_csv(tmp_path / "my.csv")
    data = load_csv(tmp_path / "my.csv", "review", "label")
    assert data.labels == ("food", "sports", "tech") and data.stats.kept == 3 * ROWS_PER_CLASS
    parts = split_corpus(data.examples)
    assert parts == split_corpus(data.examples)
    for part in parts.values():
        assert {e.label for e in part} == {0, 1, 2}


@pytest.mark.parametrize(("rows", "message"), [
    ([["a", "x"], ["b", "x"], ["c", "x"]], "at least two classes"),
    ([["a", "x"], ["b", "x"], ["c", "x"], ["d", "y"]], "too few"),
])
def test_a_csv_the_training_cannot_use_is_refused_by_name(tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_csv(path)
    with pytest.raises(ValueError, match="no column 'review'"):
        load_csv(path, text_column="review")


def test_the_command_needs_an_out_folder_for_your_data(monkeypatch, capsys):
    """In this process (the module fixture runs the real command): argparse's exit and message."""
    from models.training import train

    monkeypatch.setattr(sys, "argv", ["python -m models.train", "--data", "my.csv"])
    with pytest.raises(SystemExit) as stopped:
        train.main()
    assert stopped.value.code == 2 and "--data needs --out" in capsys.readouterr().err


def class_lines(at: AppTest) -> list[str]:
    return [d["name"] for d in chart_specs(at)[0]["data"]]


def test_the_page_reads_a_folder_of_your_models(trained, monkeypatch):
    monkeypatch.setenv(state.DIRECTORY_ENV, str(trained))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["text"] = TEXT
    at.run()
    assert not at.exception and not at.error
    assert class_lines(at) == ["food", "sports", "tech"]  # the Read tab's curve: every class
    assert t("zh", "curve_caption_classes") in [c.value for c in at.caption]
    for tab in ("tab_compare", "tab_step", "tab_pair", "tab_memory", "tab_about"):
        at.session_state["tab"] = t("zh", tab)
        at.run()
        assert not at.exception, tab
    at.session_state["tab"] = t("zh", "tab_compare")
    at.run()
    assert len(class_lines(at)) == 9  # three models, three classes


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, f"mymodels/{path.name}")
    return buffer.getvalue()


def test_an_upload_is_read_in_its_session_only(trained):
    state.analysis_cache().clear()  # an earlier test read these files from a folder: equal files share a key
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["text"] = TEXT
    at.run()
    assert class_lines(at) == ["LSTM"]  # the shipped binary models: one curve, P(positive)
    at.file_uploader(key="model_files_0").upload("mymodels.zip", _zip(trained), "application/zip").run()
    assert not at.exception and not at.error
    assert class_lines(at) == ["food", "sports", "tech"]
    assert any("mymodels" in s.value for s in at.success)
    # another visitor at the same time sees the shipped models, and no shared cache holds the upload's analyses
    other = AppTest.from_file(APP, default_timeout=90)
    other.session_state["text"] = TEXT
    other.run()
    assert class_lines(other) == ["LSTM"]
    uploaded = {model.fingerprint for model in at.session_state[state.UPLOAD_KEY].models.values()}
    assert not uploaded & {key[0] for key in state.analysis_cache()._held}
    at.button(key="own_drop").click().run()
    assert class_lines(at) == ["LSTM"] and not at.success


def test_one_uploaded_model_is_the_only_one_the_page_offers(trained):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["model"] = "lstm"
    at.session_state["text"] = TEXT
    at.run()
    uploader = at.file_uploader(key="model_files_0")
    for name in ("vocab.json", "gru.json", "gru.safetensors"):
        uploader.upload(name, (trained / name).read_bytes())
    uploader.run()
    assert not at.exception and not at.error
    assert at.radio(key="read_model").options == ["GRU"] and class_lines(at) == ["food", "sports", "tech"]
    at.session_state["tab"] = t("zh", "tab_compare")
    at.run()
    assert not at.exception and [m.label for m in at.metric] == ["GRU"]


def test_a_malformed_upload_names_the_file_and_the_page_goes_on(trained):
    at = AppTest.from_file(APP, default_timeout=90).run()
    uploader = at.file_uploader(key="model_files_0")
    for name in ("vocab.json", "lstm.json"):
        uploader.upload(name, (trained / name).read_bytes())
    uploader.upload("lstm.safetensors", b"\x80\x04 a pickle, renamed").run()
    assert not at.exception
    (error,) = at.error
    assert "lstm&#46;safetensors" in error.value and "不是可读的 safetensors 文件" in error.value  # the zh page
    assert class_lines(at) == ["LSTM"]  # still the shipped models
