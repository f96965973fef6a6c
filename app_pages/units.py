"""The units page (at /units): which units of a model found a feature of the text on their own. Run by ui.frame."""
from ui.units import units_page

units_page()
