"""The Streamlit page, one module per part: input, tabs, strings, cached loaders. The only streamlit code."""
