"""``from models.intervene import Edit``: kept here for scripts; edits live in ``models/asking/intervene.py``."""
from models.asking.intervene import ALL_UNITS, TARGETS, Edit, edited_trace, run_cell, value_range

__all__ = ["ALL_UNITS", "TARGETS", "Edit", "edited_trace", "run_cell", "value_range"]
