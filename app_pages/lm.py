"""The language-model page (at /lm): the next character, the gates, a unit's colour, live writing. Run by ui.frame."""
from ui.lm import lm_page

lm_page()
