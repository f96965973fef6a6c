"""Reading a JSON object from a file or from bytes, with every failure as one error that names the file."""
from __future__ import annotations

import json
from pathlib import Path


def read_json_object(path: Path, what: str, error: type[Exception]) -> dict:
    """The JSON object in ``path``; a missing file, bad JSON or a non-object raises ``error`` naming ``what``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: {what} is missing") from None
    return parse_json_object(data, str(path), what, error)


def parse_json_object(data: bytes, where: str, what: str, error: type[Exception]) -> dict:
    """The JSON object in ``data`` (UTF-8), read from ``where``; bad JSON or a non-object raises ``error``."""
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise error(f"{where}: {what} is not valid JSON ({err})") from None
    if not isinstance(found, dict):
        raise error(f"{where}: {what} must be a JSON object")
    return found
