"""What the AppTests read from a page's Plotly charts: a chart by its key, and an array as Plotly's JSON holds it."""
from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest


def chart(at: AppTest, key: str) -> dict | None:
    """The figure JSON of the chart drawn with ``key``, None if the page drew none."""
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(found[0].proto.spec) if found else None


def values(array) -> np.ndarray:
    """A figure's array as Plotly's JSON holds it: a list, or base64 bytes with their dtype (and shape, if any)."""
    if isinstance(array, dict):
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).astype(np.float64)
        return flat.reshape([int(n) for n in str(array["shape"]).split(",")]) if "shape" in array else flat
    return np.asarray(array, dtype=np.float64)
