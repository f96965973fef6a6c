"""Reading a JSON object from a file or from bytes, with every failure as one error that names the file."""
from __future__ import annotations

import json
from pathlib import Path

from models.errors import CodedError


def read_json_object(path: Path, kind: str, error: type[CodedError]) -> dict:
    """The JSON object in ``path``; a missing file, bad JSON or a non-object raises ``error`` naming the file.
    ``kind``: what the file is, a key of ``models.errors.FILE_KINDS``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error("file_missing", where=str(path), kind=kind) from None
    return parse_json_object(data, str(path), kind, error)


def parse_json_object(data: bytes, where: str, kind: str, error: type[CodedError]) -> dict:
    """The JSON object in ``data`` (UTF-8), read from ``where``; bad JSON or a non-object raises ``error``."""
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise error("bad_json", where=where, kind=kind, detail=str(err)) from None
    if not isinstance(found, dict):
        raise error("not_object", where=where, kind=kind)
    return found
