"""A trivial Streamlit page to time the app against: a text area and three plain heatmaps (128 x 30).

    streamlit run benchmarks/reference_page.py

Issue 11 measured such a page at 0.37 s from submit to charts drawn. benchmarks.page_speed times it in
the same run as the app, so the ratio between the two holds on a loaded machine too. Each chart's
title is the text's first word, so the page shows when a submit has been drawn.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

UNITS, STEPS = 128, 30
CHARTS = 3

text = st.text_area("text", key="text")
word = text.split("，")[0]
rng = np.random.default_rng(len(text))
for number in range(CHARTS):
    figure = go.Figure(go.Heatmap(z=rng.random((UNITS, STEPS), dtype=np.float32)))
    figure.update_layout(title=dict(text=word))
    st.plotly_chart(figure, key=f"heatmap_{number}")
