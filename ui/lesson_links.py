"""A lesson step in the page's URL: ``?lesson=<id>&step=<n>``, n counted from 1 as a teacher says it.

Pure (no Streamlit), so it is tested alone. A step's link needs only these two parameters: the step sets
its own view (ui/lessons.py, through session state), and the view links (``ui/links.py``) pass them on
as they are (``PASSED_ON``).
"""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

LESSON_PARAM = "lesson"
STEP_PARAM = "step"
DEFAULT_BASE = "http://localhost:8501/"  # the page's address when the browser has not told it (AppTest)


def lesson_query(lesson_id: str, step: int) -> dict[str, str]:
    """The query parameters of step ``step`` (from 0) of a lesson."""
    return {LESSON_PARAM: lesson_id, STEP_PARAM: str(step + 1)}


def step_link(lesson_id: str, step: int, base: str | None = None) -> str:
    """'http://host:8501/?lesson=forget&step=3': the whole link to a step, for a slide. ``base`` is the page's
    address (``st.context.url``; its own query and fragment are dropped), DEFAULT_BASE when None or empty."""
    parts = urlsplit(base or DEFAULT_BASE)  # st.context.url has no "/" after the host: one is added
    address = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return f"{address}?{urlencode(lesson_query(lesson_id, step))}"


def parse_lesson_query(params: Mapping[str, str], lessons: Mapping[str, object]) -> tuple[str, int] | None:
    """(lesson id, step from 0) from query parameters, or None if there is no known lesson.

    A step that is not a number starts the lesson; one past the end is its last step.
    """
    lesson_id = params.get(LESSON_PARAM)
    if lesson_id not in lessons:
        return None
    try:
        step = int(params.get(STEP_PARAM, "1")) - 1
    except ValueError:
        step = 0
    return lesson_id, min(max(step, 0), len(lessons[lesson_id].steps) - 1)
