"""The app's pages: their keys, their URL paths and their files (pure: lessons and links read it without Streamlit).

The sentiment page is the default and lives at ``/``, so every link and lesson link made before the app had pages
still opens it. A page's file (in ``app_pages/``, relative to app.py) is what ``st.Page`` runs; ``ui.frame`` draws
what every page shares around it.
"""
from __future__ import annotations

from collections.abc import Mapping

PAGES = ("sentiment", "lm", "units", "race")  # the first is the default page, at "/"
DEFAULT_PAGE = PAGES[0]
LINKED_PAGES = ("lm", "units")  # pages a lesson step sets through their own link parameters (lessons.lesson.View.link)
URL_PATHS: Mapping[str, str] = {"sentiment": "", "lm": "lm", "units": "units", "race": "race"}  # after the host
PAGE_FILES: Mapping[str, str] = {page: f"app_pages/{page}.py" for page in PAGES}  # relative to app.py


def page_of_path(url_path: str) -> str:
    """The page whose URL path is ``url_path`` (the default page for "" or a path no page has)."""
    return next((page for page, path in URL_PATHS.items() if path == url_path.strip("/")), DEFAULT_PAGE)


def page_address(base: str, page: str) -> str:
    """The address of ``page`` on the server whose page address is ``base`` (any path, query and fragment of
    ``base`` dropped): 'http://host:8501/' + 'race'."""
    root = base.split("?", 1)[0].split("#", 1)[0]
    scheme, _, rest = root.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{URL_PATHS[page]}"
