"""The memory-race page (at /race): how far back can each cell remember? Run by ui.frame."""
from ui.race import race_page

race_page()
