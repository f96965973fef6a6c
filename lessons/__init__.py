"""The guided lessons: each file holds one ``Lesson`` (lessons.lesson); ``LESSONS`` is the order they are offered in.

To add one, write ``lessons/l12_something.py`` with ``LESSON = Lesson(...)`` and add it below.
"""
from __future__ import annotations

from lessons import (
    l1_fading,
    l2_forget,
    l3_input,
    l4_output,
    l5_update,
    l6_order,
    l7_gradients,
    l8_never_forget,
    l9_race,
    l10_second_layer,
    l11_both_ways,
    l12_units,
)
from lessons.lesson import Lesson

LESSONS: tuple[Lesson, ...] = tuple(
    module.LESSON
    for module in (l1_fading, l2_forget, l3_input, l4_output, l5_update, l6_order, l7_gradients, l8_never_forget,
                   l9_race, l10_second_layer, l11_both_ways, l12_units)
)
BY_ID = {lesson.id: lesson for lesson in LESSONS}
if len(BY_ID) != len(LESSONS):
    raise ValueError("two lessons share an id")
