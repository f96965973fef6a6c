"""Your own models, uploaded: the files of a zip or of single files, checked before anything is loaded.

    models = load_upload([("mymodels.zip", data)])       # or [("vocab.json", ...), ("lstm.json", ...), ...]
    models["lstm"].analyze("我爱人工智能")

An upload holds ``vocab.json`` and, for one or more of ``rnn``, ``lstm`` and ``gru``, the card
``{arch}.json`` and the weights ``{arch}.safetensors``: the files ``python -m models.train`` writes.
At most ``MAX_UPLOAD_BYTES`` in all, unpacked. Weights are read only from safetensors, never
unpickled. Every failure raises ``UploadError`` naming the file and the problem; the models are
validated by the same loader as the shipped ones (``models.pretrained.load_from_files``).
"""
from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Sequence
from io import BytesIO

from models.pretrained import ARCHS, VOCAB_FILE, PretrainedError, PretrainedModel, load_from_files

MAX_UPLOAD_BYTES = 50 * 2**20  # everything uploaded at once, zips counted unpacked
MB = 2**20
IGNORED = frozenset({"split.json", "comparison.json", "saturation_test.json"})  # written by training, not needed
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz", ".h5")
SKIPPED_PREFIXES = ("__MACOSX/",)  # folders some zip tools add
SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db", "README.md", "README.txt"})


class UploadError(PretrainedError):
    """An upload that cannot be used; the message names the file and the problem."""


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB"


def _too_big(where: str, size: int) -> UploadError:
    return UploadError(f"{where}: {_size(size)}, more than the {_size(MAX_UPLOAD_BYTES)} an upload may hold")


def _unzip(name: str, data: bytes) -> list[tuple[str, str, bytes]]:
    """(file name, name in messages, bytes) of each file in the zip ``name``; checked before reading."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as err:
        raise UploadError(f"{name}: not a readable zip file ({err})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith(SKIPPED_PREFIXES)]
        for member in members:
            parts = member.filename.replace("\\", "/").split("/")
            if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise UploadError(f"{name}: member {member.filename!r} points outside the archive; refused")
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UPLOAD_BYTES:
            raise _too_big(f"{name} (unpacked)", unpacked)
        out = []
        for member in members:
            base = posixpath.basename(member.filename.replace("\\", "/"))
            try:
                out.append((base, f"{name}: {member.filename}", archive.read(member)))
            except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as err:
                raise UploadError(f"{name}: member {member.filename!r} cannot be read ({err})") from None
    if not out:
        raise UploadError(f"{name}: the zip is empty")
    return out


def _check_name(base: str, where: str) -> bool:
    """Whether ``base`` is a model file to read (False: a file to pass over); UploadError if it is refused."""
    stem, dot, suffix = base.rpartition(".")
    suffix = dot + suffix
    if base == VOCAB_FILE or (stem in ARCHS and suffix in (".json", ".safetensors")):
        return True
    if base in IGNORED or base in SKIPPED_NAMES or base.startswith("."):
        return False
    if suffix.lower() in PICKLE_SUFFIXES:
        raise UploadError(f"{where}: only safetensors weights are read (no pickles); "
                          f"save them with safetensors.torch.save_file as {{arch}}.safetensors")
    if suffix in (".json", ".safetensors"):
        raise UploadError(f"{where}: unknown architecture {stem!r}; the page knows {', '.join(ARCHS)} "
                          f"(files vocab.json, {{arch}}.json, {{arch}}.safetensors)")
    raise UploadError(f"{where}: not a model file; expected vocab.json, {{arch}}.json and {{arch}}.safetensors "
                      f"for arch in {', '.join(ARCHS)}, or a zip of them")


def upload_files(uploads: Sequence[tuple[str, bytes]]) -> tuple[dict[str, bytes], dict[str, str]]:
    """The model files in ``uploads`` ((name, bytes) each; zips unpacked), by file name, and their names
    for messages. Raises UploadError for too many bytes, a bad zip, a refused or repeated file."""
    total = sum(len(data) for _, data in uploads)
    if total > MAX_UPLOAD_BYTES:
        largest = max(uploads, key=lambda u: len(u[1]))[0]
        raise _too_big(largest if len(uploads) == 1 else f"{', '.join(n for n, _ in uploads)}", total)
    found: list[tuple[str, str, bytes]] = []
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            found += _unzip(name, data)
        else:
            found.append((posixpath.basename(name.replace("\\", "/")), name, data))
    if sum(len(data) for _, _, data in found) > MAX_UPLOAD_BYTES:
        raise _too_big("the upload (unpacked)", sum(len(data) for _, _, data in found))
    files: dict[str, bytes] = {}
    names: dict[str, str] = {}
    for base, where, data in found:
        if not _check_name(base, where):
            continue
        if base in files:
            raise UploadError(f"{where}: {base} was uploaded twice (also {names[base]})")
        files[base], names[base] = data, where
    return files, names


def load_upload(uploads: Sequence[tuple[str, bytes]]) -> dict[str, PretrainedModel]:
    """Every model in ``uploads``, by arch in ARCHS order, validated; UploadError names what is wrong."""
    files, names = upload_files(uploads)
    archs = [a for a in ARCHS if f"{a}.json" in files or f"{a}.safetensors" in files]
    if not archs:
        raise UploadError("no model in the upload: expected vocab.json, {arch}.json and {arch}.safetensors "
                          f"for at least one arch of {', '.join(ARCHS)}")
    for arch in archs:
        card, weights = f"{arch}.json", f"{arch}.safetensors"
        for have, need in ((card, weights), (weights, card), (card, VOCAB_FILE)):
            if have in files and need not in files:
                raise UploadError(f"{need} is missing from the upload ({names[have]} needs it)")
    try:
        return {arch: load_from_files(arch, files, names) for arch in archs}
    except UploadError:
        raise
    except PretrainedError as err:
        raise UploadError(str(err)) from None
