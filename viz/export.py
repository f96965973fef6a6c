"""A figure as a file: a standalone HTML page that opens with no network, and a descriptive file name."""
from __future__ import annotations

import html
import re

import plotly.graph_objects as go

PREFIX = "rnn-gates"
MAX_NAME = 80  # characters of a file name, before the extension
_TAG = re.compile(r"<[^>]*>")
_UNSAFE = re.compile(r"[\\/:*?\"<>|\s\x00-\x1f,;#%&{}$!'`=+\[\]()^~—–·，。：；（）]+")
IMAGE_SCALE = 2  # the toolbar's PNG is drawn at twice the figure's size


def file_name(*parts: str) -> str:
    """A file name (no extension) from ``parts``: HTML tags and entities removed, anything a file system
    or a URL would trip on turned into '-', cut to MAX_NAME characters. Chinese characters stay."""
    words = [_UNSAFE.sub("-", html.unescape(_TAG.sub(" ", part))).strip("-._") for part in (PREFIX, *parts)]
    return "_".join(w for w in words if w)[:MAX_NAME].rstrip("-_.")


def image_options(name: str, image_format: str = "png") -> dict:
    """Plotly's ``toImageButtonOptions``: the toolbar's camera saves ``name``.{format} at IMAGE_SCALE."""
    return {"format": image_format, "filename": name, "scale": IMAGE_SCALE}


def standalone_html(fig: go.Figure, *, title: str = "") -> bytes:
    """``fig`` as one HTML page with plotly.js inlined (about 5 MB): it opens with no network at all.

    The toolbar in the page saves PNG or SVG too. Build it only when asked for: it is large.
    """
    page = fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
    if title:  # plotly writes an empty <head>; give the page a tab title
        page = page.replace("<head>", f"<head><title>{html.escape(title)}</title>", 1)
    return page.encode("utf-8")
