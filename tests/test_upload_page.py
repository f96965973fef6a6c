"""The page's upload (ui.share), by AppTest: one size limit everywhere, the shipped folder as a zip with files
the page does not know, and the message when a card arrives without its weights (refused by the server)."""
from __future__ import annotations

import io
import re
import tomllib
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from models.files.upload import MAX_UPLOAD_MB
from models.pretrained import PRETRAINED_DIR, available_names
from tests.test_app import APP
from ui.i18n import t
from ui.shapes import model_name

CONFIG = Path(APP).parent / ".streamlit" / "config.toml"
NGINX = Path(APP).parent / "deploy" / "nginx.conf.template"
UPLOADER = "model_files_0"


def shipped_zip(extra: dict[str, bytes]) -> bytes:
    """``pretrained/`` zipped as a person would (a folder inside), with ``extra`` files beside the models."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PRETRAINED_DIR.iterdir()):
            archive.write(path, f"pretrained/{path.name}")
        for name, data in extra.items():
            archive.writestr(f"pretrained/{name}", data)
    return buffer.getvalue()


def test_the_server_the_page_and_the_check_share_one_limit():
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    (proxy,) = re.findall(r"client_max_body_size (\d+)m;", NGINX.read_text(encoding="utf-8"))
    assert int(proxy) > MAX_UPLOAD_MB  # nginx in front lets a whole file and its form through
    for lang in ("zh", "en"):
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["lang"] = lang
        at.run()
        (uploader,) = [u for u in at.get("file_uploader") if u.proto.id.endswith(UPLOADER)]
        assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_MB  # what the uploader's own caption shows
        caption = t(lang, "own_caption", limit=MAX_UPLOAD_MB)
        assert caption in [c.value for c in at.caption] and f"{MAX_UPLOAD_MB} MB" in caption


def test_the_shipped_folder_zipped_loads_and_names_the_files_it_skips():
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    data = shipped_zip({"README.md": b"# my models", "lstm_3layer.json": b"{}", "lm_lstm.safetensors": b"later"})
    at.file_uploader(key=UPLOADER).upload("pretrained.zip", data, "application/zip").run()
    assert not at.exception and not at.error
    captions = [c.value for c in at.caption]
    every = ", ".join(model_name("en", name) for name in available_names())  # the variants too, by name
    assert every.startswith("RNN, LSTM, GRU, 2-layer RNN") and t("en", "own_loaded", archs=every) in captions
    (skipped,) = [c for c in captions if c.startswith(t("en", "own_skipped", names=""))]
    for name in ("README&#46;md", "lstm&#95;3layer&#46;json", "lm&#95;lstm&#46;safetensors", "comparison&#46;json"):
        assert f"pretrained&#46;zip: pretrained/{name}" in skipped, name
    assert "pretrained/vocab&#46;json" not in skipped and "pretrained/lstm&#46;safetensors," not in skipped
    assert "pretrained/race&#95;vocab&#46;json" in skipped  # the race page reads its models from the folder


def test_a_card_without_its_weights_says_they_did_not_arrive_in_the_page_language():
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    uploader = at.file_uploader(key=UPLOADER)
    for name in ("vocab.json", "lstm.json"):  # as the page gets them when the server refused lstm.safetensors
        uploader.upload(name, (PRETRAINED_DIR / name).read_bytes())
    uploader.run()
    (error,) = at.error
    assert "did not arrive" in error.value and "missing from the upload" not in error.value
    assert "vocab&#46;json, lstm&#46;json" in error.value and f"{MAX_UPLOAD_MB} MB as sent" in error.value
    at.session_state["lang"] = "zh"
    at.run()
    (error,) = at.error
    assert "没有送到" in error.value and f"{MAX_UPLOAD_MB} MB" in error.value
