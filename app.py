"""The app: the sentiment models, the memory race, and what every page shares. Run: streamlit run app.py

Streamlit runs this file as the script of every page, for every visitor: ``ui.frame`` draws what every page shares
(the menu, the language, the GRU convention, the lesson player) and runs the page the URL names (``app_pages/``;
the sentiment page at ``/``). ``streamlit run`` also imports it once, when the server starts, and finds ``app``, an
``st.App`` whose lifespan (ui.warm) loads the models and builds the first page before the server answers.
"""
from __future__ import annotations

import streamlit as st

from ui import warm
from ui.frame import frame


def main() -> None:
    frame()


if __name__ == "__main__":  # the page's script run
    main()
else:  # imported by `streamlit run app.py` to start the server
    app = st.App(__file__, lifespan=warm.lifespan)
