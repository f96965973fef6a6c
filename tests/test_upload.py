"""Uploaded models: a good upload loads and matches its files; every malformed one is refused with a
message naming the file and the problem."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import save

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.files.upload import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, UploadError, load_upload, read_upload, upload_files
from models.vocab import FORMAT

TOKENS = ["<pad>", "<unk>", "好", "不", "喜欢", "手机", "差"]
LABELS = ("sad", "calm", "glad")


def vocab_bytes(tokens=TOKENS) -> bytes:
    return json.dumps({"format": FORMAT, "tokenizer": {"mode": "word"}, "tokens": tokens}).encode()


def model_files(arch: str = "lstm", *, spoil=None, config: dict | None = None) -> dict[str, bytes]:
    """The three files of a tiny 3-class ``arch`` model; ``spoil(tensors)`` changes its weights first."""
    torch.manual_seed(0)
    cfg = ClassifierConfig(arch=arch, vocab_size=len(TOKENS), embed_dim=4, hidden_size=3, num_classes=3,
                           labels=LABELS)
    tensors = {k: v.contiguous() for k, v in RecurrentClassifier(cfg).state_dict().items()}
    if spoil is not None:
        spoil(tensors)
    card = {"name": "tiny", "config": {**cfg.to_dict(), **(config or {})}}
    return {"vocab.json": vocab_bytes(), f"{arch}.json": json.dumps(card).encode(),
            f"{arch}.safetensors": save(tensors)}


def as_uploads(files: dict[str, bytes]) -> list[tuple[str, bytes]]:
    return list(files.items())


def zipped(members: dict[str, bytes], name: str = "mymodels.zip") -> list[tuple[str, bytes]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return [(name, buffer.getvalue())]


def test_three_files_load_and_keep_their_hashes():
    files = model_files("gru")
    models = load_upload(as_uploads(files))
    assert list(models) == ["gru"]
    model = models["gru"]
    assert model.labels == LABELS and model.model.config.num_classes == 3
    assert dict(model.files) == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    analysis = model.analyze("我喜欢这个手机")
    assert analysis.probabilities.shape == (len(analysis.tokens), 3)
    assert model.recording_error(analysis) < 1e-5


def test_a_zip_of_a_folder_with_every_model_loads():
    members = {}
    for arch in ("rnn", "lstm", "gru"):
        members.update({f"mymodels/{k}": v for k, v in model_files(arch).items()})
    members["mymodels/split.json"] = b"{}"  # written by training, passed over
    models = load_upload(zipped(members))
    assert list(models) == ["rnn", "lstm", "gru"]
    tensors = dict(models["lstm"].model.state_dict())
    expected = model_files("lstm")["lstm.safetensors"]
    from safetensors.torch import load
    for name, tensor in load(expected).items():
        np.testing.assert_array_equal(tensors[name].numpy(), tensor.numpy())


def _wrong_shape(tensors):
    tensors["head.weight"] = torch.zeros(5, 3)


def _nan(tensors):
    tensors["rnn.weight_hh_l0"][0, 0] = float("nan")


def _float64(tensors):
    tensors["head.bias"] = tensors["head.bias"].double()


def _with(arch="lstm", **changes) -> list[tuple[str, bytes]]:
    files = model_files(arch)
    for name, data in changes.items():
        name = name.replace("__", ".")
        if data is None:
            files.pop(name)
        else:
            files[name] = data
    return as_uploads(files)


def _pickle() -> bytes:
    buffer = io.BytesIO()
    torch.save(RecurrentClassifier(ClassifierConfig("lstm", len(TOKENS), 4, 3, 3, labels=LABELS)).state_dict(), buffer)
    return buffer.getvalue()


MALFORMED = {  # case -> (uploads, what the message must say, in order)
    "wrong shapes": (lambda: as_uploads(model_files(spoil=_wrong_shape)), ["lstm.safetensors", "head.weight"]),
    "pickle renamed .safetensors": (lambda: _with(lstm__safetensors=_pickle()),
                                    ["lstm.safetensors", "not a readable safetensors"]),
    "a .pt file": (lambda: _with(lstm__safetensors=None) + [("lstm.pt", _pickle())], ["lstm.pt", "no pickles"]),
    "truncated weights": (lambda: _with(lstm__safetensors=model_files()["lstm.safetensors"][:-40]),
                          ["lstm.safetensors", "truncated"]),
    "truncated header": (lambda: _with(lstm__safetensors=model_files()["lstm.safetensors"][:20]),
                         ["lstm.safetensors", "not a readable safetensors"]),
    "missing vocabulary": (lambda: _with(vocab__json=None), ["vocab.json", "missing", "lstm.json"]),
    "huge file": (lambda: _with() + [("big.safetensors", bytes(MAX_UPLOAD_BYTES))], [f"{MAX_UPLOAD_MB} MB"]),
    "card for another arch": (lambda: as_uploads(model_files(config={"arch": "gru"})), ["lstm.json", "'gru'"]),
    "mismatched vocabulary size": (lambda: _with(vocab__json=vocab_bytes(TOKENS + ["多"])),
                                   ["vocab.json", "8 tokens", "expects 7"]),
    "bad JSON card": (lambda: _with(lstm__json=b'{"config": '), ["lstm.json", "not valid JSON"]),
    "bad JSON vocabulary": (lambda: _with(vocab__json=b"\x80\x81"), ["vocab.json", "not valid JSON"]),
    "card without config": (lambda: _with(lstm__json=b'{"name": "x"}'), ["lstm.json", "config"]),
    "absurd sizes": (lambda: as_uploads(model_files(config={"hidden_size": 10**9})), ["lstm.json", "config"]),
    "sizes the weights do not have": (lambda: as_uploads(model_files(config={"hidden_size": 1000})),
                                      ["lstm.safetensors", "expected F32/F16 (4000, 4)"]),
    "NaN weights": (lambda: as_uploads(model_files(spoil=_nan)), ["lstm.safetensors", "rnn.weight_hh_l0", "NaN"]),
    "float64 weights": (lambda: as_uploads(model_files(spoil=_float64)), ["lstm.safetensors", "head.bias", "F64"]),
    "weights without a card": (lambda: _with(lstm__json=None), ["lstm.json", "missing", "lstm.safetensors"]),
    "zip with path traversal": (lambda: zipped({"../vocab.json": vocab_bytes()}),
                                ["mymodels.zip", "../vocab.json", "outside"]),
    "zip with an absolute path": (lambda: zipped({"/etc/lstm.json": b"{}"}), ["mymodels.zip", "outside"]),
    "zip missing members": (lambda: zipped({"vocab.json": vocab_bytes(), "lstm.json": model_files()["lstm.json"]}),
                            ["lstm.safetensors", "did not arrive", "mymodels.zip: lstm.json"]),
    "a pickle in a zip": (lambda: zipped({**{f"m/{k}": v for k, v in model_files().items()}, "m/lstm.pt": _pickle()}),
                          ["mymodels.zip: m/lstm.pt", "no pickles"]),
    "zip bomb": (lambda: zipped({"lstm.safetensors": bytes(MAX_UPLOAD_BYTES + 1)}), ["mymodels.zip", "unpacked"]),
    "not a zip": (lambda: [("mymodels.zip", b"PK\x03\x04 not really")], ["mymodels.zip", "not a readable zip"]),
    "empty zip": (lambda: zipped({}), ["mymodels.zip", "empty"]),
    "same file twice": (lambda: _with() + zipped({"vocab.json": vocab_bytes()}), ["vocab.json", "twice"]),
    "nothing usable": (lambda: [("vocab.json", vocab_bytes())], ["no model in the upload"]),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_upload_is_refused_with_a_clear_message(case):
    make, words = MALFORMED[case]
    with pytest.raises(UploadError) as caught:
        load_upload(make())
    message = str(caught.value)
    position = 0
    for word in words:
        found = message.find(word, position)
        assert found >= 0, (case, word, message)
        position = found


def test_readme_and_mac_folders_in_a_zip_are_passed_over():
    members = {f"m/{k}": v for k, v in model_files().items()}
    members.update({"__MACOSX/m/._lstm.json": b"\x00", "m/README.md": b"# mine"})
    files, names, skipped = upload_files(zipped(members))
    assert sorted(files) == ["lstm.json", "lstm.safetensors", "vocab.json"]
    assert names["lstm.json"] == "mymodels.zip: m/lstm.json"
    assert skipped == ("mymodels.zip: m/README.md",)  # the Mac folder is a zip tool's, not the person's


def test_a_zip_with_files_the_page_does_not_know_loads_what_it_knows_and_names_the_rest():
    members = {f"m/{k}": v for k, v in model_files().items()}
    members.update({"m/lstm_3layer.json": b"{}", "m/lm_lstm.safetensors": b"future weights", "m/README.md": b"# mine",
                    "m/split.json": b"{}"})
    found = read_upload(zipped(members))
    assert list(found.models) == ["lstm"]
    assert found.skipped == ("mymodels.zip: m/lstm_3layer.json", "mymodels.zip: m/lm_lstm.safetensors",
                             "mymodels.zip: m/README.md", "mymodels.zip: m/split.json")
    single = read_upload(_with() + [("transformer.safetensors", b"x")])  # single files too
    assert list(single.models) == ["lstm"] and single.skipped == ("transformer.safetensors",)


def variant_files(name: str, layers: int, bidirectional: bool) -> dict[str, bytes]:
    """The card and weights of a tiny variant ``name`` (reading ``vocab_bytes()``), named as models.names says."""
    torch.manual_seed(1)
    cfg = ClassifierConfig(arch=name.split("_")[0], vocab_size=len(TOKENS), embed_dim=4, hidden_size=3,
                           num_classes=3, labels=LABELS, num_layers=layers, bidirectional=bidirectional)
    tensors = {k: v.contiguous() for k, v in RecurrentClassifier(cfg).state_dict().items()}
    return {f"{name}.json": json.dumps({"config": cfg.to_dict()}).encode(), f"{name}.safetensors": save(tensors)}


def test_an_upload_of_variants_loads_them_by_name_next_to_one_layer_models():
    """lstm_bi and gru_2layer files are models the page reads (they were skipped as unknown names before)."""
    files = {**model_files("lstm"), **variant_files("lstm_bi", 1, True), **variant_files("gru_2layer", 2, False)}
    found = read_upload(zipped({f"m/{k}": v for k, v in files.items()}))
    assert list(found.models) == ["lstm", "gru_2layer", "lstm_bi"] and found.skipped == ()  # all_names order
    assert found.models["lstm_bi"].model.config.bidirectional and found.models["lstm_bi"].name == "lstm_bi"
    assert found.models["gru_2layer"].model.config.num_layers == 2
    alone = read_upload(as_uploads({"vocab.json": vocab_bytes(), **variant_files("lstm_bi", 1, True)}))
    assert list(alone.models) == ["lstm_bi"]
    with pytest.raises(UploadError) as caught:  # a variant's card whose config says another shape
        read_upload(as_uploads({"vocab.json": vocab_bytes(), "lstm_bi.json": files["gru_2layer.json"],
                                "lstm_bi.safetensors": files["gru_2layer.safetensors"]}))
    assert caught.value.code in ("wrong_arch", "bad_config")


def test_a_zip_of_only_unknown_files_says_what_arrived():
    with pytest.raises(UploadError) as caught:
        load_upload(zipped({"m/lm_lstm.json": b"{}", "m/README.md": b"#"}))
    assert caught.value.code == "upload_no_model"
    assert caught.value.fields["arrived"] == "mymodels.zip: m/lm_lstm.json, mymodels.zip: m/README.md"


def test_weights_that_did_not_arrive_are_not_called_missing_from_the_upload():
    """The server refuses a file over its limit before the page sees it: the card arrives alone."""
    files = model_files()
    with pytest.raises(UploadError) as caught:
        load_upload([("vocab.json", files["vocab.json"]), ("lstm.json", files["lstm.json"])])
    err = caught.value
    assert err.code == "upload_weights_missing"
    assert err.fields == {"file": "lstm.safetensors", "needs": "lstm.json", "arrived": "vocab.json, lstm.json",
                          "limit": MAX_UPLOAD_MB}
    assert "missing from the upload" not in str(err) and f"at most {MAX_UPLOAD_MB} MB as sent" in str(err)


def _half(tensors):
    for name in tensors:
        tensors[name] = tensors[name].half()


def test_float16_weights_load_as_float32():
    files = model_files("gru", spoil=_half)
    model = load_upload(as_uploads(files))["gru"]
    from safetensors.torch import load
    stored = load(files["gru.safetensors"])
    for name, tensor in model.model.state_dict().items():
        assert tensor.dtype == torch.float32, name
        np.testing.assert_array_equal(tensor.numpy(), stored[name].float().numpy())
    analysis = model.analyze("我喜欢这个手机")
    assert model.recording_error(analysis) < 1e-5


def test_float16_that_overflows_is_refused():
    def spoil(tensors):
        _half(tensors)
        tensors["head.bias"][0] = float("inf")
    with pytest.raises(UploadError, match="head.bias holds NaN or infinite"):
        load_upload(as_uploads(model_files(spoil=spoil)))


def test_errors_carry_a_code_and_fields():
    with pytest.raises(UploadError) as caught:
        load_upload(_with(vocab__json=None))
    assert caught.value.code == "upload_missing"
    assert caught.value.fields == {"file": "vocab.json", "needs": "lstm.json",
                                   "arrived": "lstm.json, lstm.safetensors"}
    with pytest.raises(UploadError) as caught:
        load_upload(as_uploads(model_files(spoil=_nan)))
    assert caught.value.code == "not_finite"  # the loader's code, passed on
    assert caught.value.fields == {"where": "lstm.safetensors", "tensor": "rnn.weight_hh_l0"}


def test_a_folder_with_one_model_offers_that_model(tmp_path):
    from models.pretrained import available_archs, load_pretrained

    files = model_files("gru")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert available_archs(tmp_path) == ("gru",)
    model = load_pretrained("gru", tmp_path)
    assert model.labels == LABELS
    assert dict(model.files) == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
