"""The server's warm-up before its first visitor: the models, jieba, the default text's analysis and the
figures of the page a visitor first sees, all made before ``/_stcore/health`` answers ok.

``streamlit run app.py`` finds the ``st.App`` that app.py makes when it is imported (not when Streamlit
runs it as the page's script, as ``__main__``) and runs its ASGI lifespan, ``lifespan`` here, before the
server takes a request. What it makes goes into the caches every session reads (ui.state), so the first
visitor waits no longer than the next one.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import plotly.io

from models.tokenize import MODES
from models.trace import DISPLAY_ORDER, GRU_CONVENTIONS
from ui import lm, race, state
from ui.i18n import DEFAULT_LANG, viz_labels
from ui.read import heatmap_figure
from ui.shapes import model_name
from ui.source import DEFAULT_TEXT
from viz.heatmap import NORMALIZATIONS, ORDERS
from viz.prediction import prediction_curve

LOG = logging.getLogger(__name__)


def warm_up() -> None:
    """Load and analyse what the default page shows, and build and serialise its two figures once (the first
    figure a process builds also loads Plotly's validators). Raises PretrainedError for a bad model folder."""
    results = state.warm_caches(DEFAULT_TEXT, MODES[0])
    arch = "lstm" if "lstm" in results else next(iter(results))
    trace, labels = results[arch].analysis.trace, viz_labels(DEFAULT_LANG)
    for figure in (prediction_curve({model_name(DEFAULT_LANG, arch): trace}, labels=labels),
                   heatmap_figure(trace, DISPLAY_ORDER[trace.cell_type][0], ORDERS[0], NORMALIZATIONS[0],
                                  GRU_CONVENTIONS[0], labels)):
        plotly.io.to_json(figure)


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """st.App's lifespan: warm up in a worker thread, then serve. A failure is logged and the server starts
    anyway: the page itself then says what is wrong (a broken model folder names the file)."""
    for warm, page in ((warm_up, "sentiment"), (race.warm_up, "race"), (lm.warm_up, "lm")):
        try:
            await asyncio.to_thread(warm)
        except Exception:  # noqa: BLE001 (whatever it is, the page must still start and show it)
            LOG.warning("warming up the %s page before the first visitor failed; the page will report it", page,
                        exc_info=True)
    yield
