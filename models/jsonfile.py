"""Reading a JSON object from a file, with every failure as one error that names the file."""
from __future__ import annotations

import json
from pathlib import Path


def read_json_object(path: Path, what: str, error: type[Exception]) -> dict:
    """The JSON object in ``path``; a missing file, bad JSON or a non-object raises ``error`` naming ``what``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise error(f"{path}: {what} is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: {what} must be a JSON object")
    return data
