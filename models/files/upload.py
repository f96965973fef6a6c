"""Your own models, uploaded: the files of a zip or of single files, checked before anything is loaded.

    found = read_upload([("mymodels.zip", data)])   # or [("vocab.json", ...), ("lstm.json", ...), ...]
    found.models["lstm"].analyze("我爱人工智能")
    found.skipped                                  # ("mymodels.zip: mymodels/README.md", ...): not read

An upload holds ``vocab.json`` and, for one or more sentiment models (``rnn``, ``lstm``, ``gru`` and their
variants ``lstm_2layer``, ``gru_bi``, ...: ``models.names``), the card ``{name}.json`` and the weights
``{name}.safetensors`` (float32 or float16): the files
``python -m models.train`` writes, e.g. a zip of the whole ``pretrained/`` folder. Other files (a
model the page does not know, a README, training records) are skipped and named in ``skipped``.
Pickles and zip members whose path leaves the archive are refused.

Two limits, both ``MAX_UPLOAD_MB``: the server (``server.maxUploadSize`` in ``.streamlit/config.toml``)
refuses any one file larger than that as sent, before the page sees it; this module refuses an upload
whose files hold more than that in all once unpacked. Weights are read only from safetensors, never
unpickled. Every failure raises ``UploadError`` with a code and fields (``models.errors``); the
models are validated by the same loader as the shipped ones (``models.pretrained.load_from_files``).
"""
from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import NamedTuple

from models.names import all_names
from models.pretrained import VOCAB_FILE, PretrainedError, PretrainedModel, load_from_files

NAMES = all_names("sentiment")  # the models an upload may hold: one-layer first, then the variants
MAX_UPLOAD_MB = 100  # per file as sent (the server's limit) and for all files unpacked (checked here)
MB = 2**20  # Streamlit's "MB" is a MiB too
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * MB
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz", ".h5")
JUNK_PREFIXES = ("__MACOSX/",)  # folders some zip tools add: passed over without a word
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db"})


class UploadError(PretrainedError):
    """An upload that cannot be used; its code and fields (``models.errors``) name the file and the problem."""


class UploadFiles(NamedTuple):
    """The model files of an upload, by file name, and the files passed over."""

    files: dict[str, bytes]  # file name -> bytes, e.g. "lstm.json"
    names: dict[str, str]  # file name -> its name in messages, e.g. "mymodels.zip: m/lstm.json"
    skipped: tuple[str, ...]  # files the page does not read, as named in messages


@dataclass(frozen=True)
class Upload:
    """The models an upload holds and the files it skipped."""

    models: dict[str, PretrainedModel]  # by name, in NAMES order
    skipped: tuple[str, ...]  # files not read, as named in messages


def _too_big(where: str, size: int, *, unpacked: bool = False) -> UploadError:
    code = "upload_too_big_unpacked" if unpacked else "upload_too_big"
    return UploadError(code, where=where, size=size / MB, limit=MAX_UPLOAD_MB)


def _unzip(name: str, data: bytes) -> list[tuple[str, str, bytes]]:
    """(file name, name in messages, bytes) of each file in the zip ``name``; checked before reading."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as err:
        raise UploadError("upload_bad_zip", where=name, detail=str(err)) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith(JUNK_PREFIXES)]
        for member in members:
            parts = member.filename.replace("\\", "/").split("/")
            if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise UploadError("upload_outside", where=name, member=member.filename)
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UPLOAD_BYTES:
            raise _too_big(name, unpacked, unpacked=True)
        out = []
        for member in members:
            base = posixpath.basename(member.filename.replace("\\", "/"))
            try:
                out.append((base, f"{name}: {member.filename}", archive.read(member)))
            except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as err:
                raise UploadError("upload_member_unreadable", where=name, member=member.filename,
                                  detail=str(err)) from None
    if not out:
        raise UploadError("upload_empty_zip", where=name)
    return out


def _is_model_file(base: str, where: str) -> bool:
    """Whether ``base`` is a file the page reads (False: skipped); UploadError for a pickle."""
    stem, dot, suffix = base.rpartition(".")
    if base == VOCAB_FILE or (stem in NAMES and dot + suffix in (".json", ".safetensors")):
        return True
    if (dot + suffix).lower() in PICKLE_SUFFIXES:
        raise UploadError("upload_pickle", where=where)
    return False


def upload_files(uploads: Sequence[tuple[str, bytes]]) -> UploadFiles:
    """The model files in ``uploads`` ((name, bytes) each; zips unpacked), their names for messages, and the
    files skipped. Raises UploadError for too many bytes, a bad zip, a pickle or a repeated file."""
    total = sum(len(data) for _, data in uploads)
    if total > MAX_UPLOAD_BYTES:
        largest = max(uploads, key=lambda u: len(u[1]))[0]
        raise _too_big(largest if len(uploads) == 1 else ", ".join(n for n, _ in uploads), total)
    found: list[tuple[str, str, bytes]] = []
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            found += _unzip(name, data)
        else:
            found.append((posixpath.basename(name.replace("\\", "/")), name, data))
    if sum(len(data) for _, _, data in found) > MAX_UPLOAD_BYTES:
        raise _too_big(", ".join(n for n, _ in uploads), sum(len(data) for _, _, data in found), unpacked=True)
    files: dict[str, bytes] = {}
    names: dict[str, str] = {}
    skipped: list[str] = []
    for base, where, data in found:
        if base in JUNK_NAMES or base.startswith("._"):
            continue
        if not _is_model_file(base, where):
            skipped.append(where)
            continue
        if base in files:
            raise UploadError("upload_twice", where=where, file=base, other=names[base])
        files[base], names[base] = data, where
    return UploadFiles(files, names, tuple(skipped))


def _arrived(found: UploadFiles) -> str:
    return ", ".join([*found.names.values(), *found.skipped]) or "—"


def _check_complete(found: UploadFiles, archs: list[str]) -> None:
    """UploadError for the first file a model needs that did not arrive, saying what did arrive."""
    files, names = found.files, found.names
    for arch in archs:
        card, weights = f"{arch}.json", f"{arch}.safetensors"
        if card in files and weights not in files:  # chosen but refused by the server for its size, or not chosen
            raise UploadError("upload_weights_missing", file=weights, needs=names[card], arrived=_arrived(found),
                              limit=MAX_UPLOAD_MB)
        for have, need in ((weights, card), (card, VOCAB_FILE)):
            if have in files and need not in files:
                raise UploadError("upload_missing", file=need, needs=names[have], arrived=_arrived(found))


def read_upload(uploads: Sequence[tuple[str, bytes]]) -> Upload:
    """Every model in ``uploads``, by name in NAMES order, validated, and the files skipped; UploadError names
    what is wrong."""
    found = upload_files(uploads)
    archs = [a for a in NAMES if f"{a}.json" in found.files or f"{a}.safetensors" in found.files]
    if not archs:
        raise UploadError("upload_no_model", archs=", ".join(NAMES), arrived=_arrived(found))
    _check_complete(found, archs)
    try:
        models = {arch: load_from_files(arch, found.files, found.names) for arch in archs}
    except UploadError:
        raise
    except PretrainedError as err:
        raise UploadError(err.code, **err.fields) from None
    return Upload(models, found.skipped)


def load_upload(uploads: Sequence[tuple[str, bytes]]) -> dict[str, PretrainedModel]:
    """Every model in ``uploads`` (``read_upload(uploads).models``)."""
    return read_upload(uploads).models
