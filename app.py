"""The page. Placeholder until the app issue lands: it shows the tokens of a sentence."""
from __future__ import annotations

import streamlit as st

from models.tokenize import tokenize


def main() -> None:
    st.set_page_config(page_title="RNN gates", layout="wide")
    st.title("RNN · LSTM · GRU gates")
    text = st.text_area("Text", value="我爱人工智能", key="text")
    tokens = tokenize(text)
    if tokens:
        st.write(" / ".join(tokens))
    else:
        st.info("Type a sentence to see its tokens.")


main()
