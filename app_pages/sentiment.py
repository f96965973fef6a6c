"""The sentiment page (at /): type a text, see how an RNN, an LSTM and a GRU classifier read it. Run by ui.frame."""
from ui.sentiment import sentiment_page

sentiment_page()
