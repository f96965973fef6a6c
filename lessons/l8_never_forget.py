"""Lesson 8: what if it could not forget: the LSTM with f := 1 from 但是 on.

The edited run is drawn by the lesson player itself (View(edit=True)), after the reader has guessed; the What-if
tab runs the same experiment (its never-forget preset) on all three models.
"""
from __future__ import annotations

from lessons.claims import never_forget, never_forget_edit
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

LESSON = Lesson(
    id="never_forget",
    title={"zh": "假如它不能遗忘", "en": "What if it could not forget"},
    archs=("lstm",),
    claims=lambda models: never_forget(models["lstm"], RESTAURANT, CONNECTIVE),
    edit=lambda c: never_forget_edit(c.connective, c.steps),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model="lstm"),
            say={
                "zh": "第 2 课看了 LSTM 的遗忘门在“但是”处做了什么。训练好的模型从“但是”起平均有 {before_mean:.0%} "
                      "认为是正面，"
                      "最后是 {end_before:.0%}（{label_before}）。",
                "en": "Lesson 2 looked at what the LSTM's forget gate does at 但是. As trained, it is {before_mean:"
                      ".0%} positive on "
                      "average from 但是 on, and {end_before:.0%} at the end ({label_before}).",
            },
        ),
        Step(
            View(tab="tab_read", model="lstm", edit=True),
            say={
                "zh": "现在动手改模型：从“但是”（第 {connective} 个词）到结尾，所有单元的遗忘门都设为 1，它再也忘不掉。"
                      "先猜一猜，揭晓后这里会画出改前和改后的曲线。",
                "en": "Now edit the model: from 但是 (token {connective}) to the end, every unit's forget gate is held "
                      "at 1, so it can no longer forget. Guess first: after Reveal, a chart here draws the curve "
                      "before "
                      "and after.",
            },
            question=Question(
                ask={"zh": "不能遗忘之后，“但是”之后的预测会怎样？",
                     "en": "Unable to forget, what happens to the prediction after 但是?"},
                choices=(("turns_less", {"zh": "转得更少，停在夸奖那边",
                                         "en": "it turns less, staying with the praise"}),
                         ("same", {"zh": "基本不变", "en": "about the same"})),
                answer="effect",
            ),
            reveal={
                "zh": "从“但是”起的平均正面概率：训练好的模型 {before_mean:.0%}，不能遗忘时 {after_mean:.0%}。"
                      "最后一步从 {end_before:.0%} 变成 {end_after:.0%}，最终类别{label_changed}改变（{label_before} → "
                      "{label_after}）。",
                "en": "Mean P(positive) from 但是 on: {before_mean:.0%} as trained, {after_mean:.0%} when it cannot "
                      "forget. "
                      "At the end: {end_before:.0%} → {end_after:.0%}; the final class {label_changed} "
                      "({label_before} → {label_after}).",
            },
        ),
    ),
    checks=(
        Check("turns_less", lambda c: c.effect == "turns_less",
              "holding f = 1 from the connective raises the mean P(positive) after it by more than 0.05"),
    ),
    words={"yes": {"zh": "发生了", "en": "changed"}, "no": {"zh": "没有", "en": "did not change"}},
)
