"""Figures of recurrent gates and states: numpy and plotly only, a Trace in and a go.Figure out."""
