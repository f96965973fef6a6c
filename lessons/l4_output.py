"""Lesson 4: the output gate: memory kept but not shown."""
from __future__ import annotations

from lessons.claims import HELD, HIDDEN, output_gate_hidden
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import RESTAURANT

LESSON = Lesson(
    id="output",
    title={"zh": "输出门：记住了，但不说出来", "en": "The output gate: kept but not shown"},
    archs=("lstm",),
    claims=lambda models: output_gate_hidden(models["lstm"], RESTAURANT),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model="lstm", maps=("cell", "hidden")),
            say={
                "zh": "LSTM 有两个状态：c 是记忆，h_t = o_t · tanh(c_t) 是它对外说出的部分，交给下一步和分类器。"
                      "输出门 o 决定记忆说出多少。下面上图是记忆 c，下图是说出的 h。",
                "en": "An LSTM has two states: c is its memory, and h_t = o_t · tanh(c_t) is what it shows, to the "
                      "next "
                      "step and to the classifier. The output gate o decides how much of the memory is shown. Below: "
                      "the memory c, then what is shown, h.",
            },
        ),
        Step(
            View(tab="tab_step", model="lstm", token="step", unit="unit"),
            say={
                "zh": "在“{token}”（第 {step} 个词），单元 {unit} 的记忆是 c = {cell:.2f}，所以 tanh(c) = {tanh_cell:"
                      ".2f}。",
                "en": "At “{token}” (token {step}), unit {unit} holds c = {cell:.2f}, so tanh(c) = {tanh_cell:.2f}.",
            },
            question=Question(
                ask={"zh": "它的 h 会说出这段记忆的大部分，还是很少？", "en": "Will its h show most of that memory, or "
                                                           "little?"},
                choices=(("most", {"zh": "大部分", "en": "most"}), ("little", {"zh": "很少", "en": "little"})),
                answer="shown",
            ),
            reveal={
                "zh": "o = {output:.3f}，所以 h = o · tanh(c) = {hidden:.3f}：记住了，但没有说出来。"
                      "整段评论里，有 {hidden_cells} 个“单元×步”（共 {cells} 个）记着 |c| > " + f"{HELD:g}" +
                      "，而 |h| < " + f"{HIDDEN:g}" + "。",
                "en": "o = {output:.3f}, so h = o · tanh(c) = {hidden:.3f}: the memory is kept but not shown. Over the "
                      "whole review, {hidden_cells} of the {cells} unit-steps hold |c| > " + f"{HELD:g}" +
                      " while |h| < " + f"{HIDDEN:g}" + ".",
            },
        ),
        Step(
            View(tab="tab_read", model="lstm", maps=("output", "hidden")),
            say={
                "zh": "在下面输出门和隐状态的热图里，沿着单元 {unit} 那一行找第 {step} 个词“{token}”："
                      "很暗的输出门藏住了满满的记忆。"
                      "再往右看：这个单元后来有没有把它说出来？",
                "en": "In the output-gate and hidden-state maps below, follow unit {unit}'s row to token {step} "
                      "(“{token}”): a dark output gate hides a full cell. Then look further right: does the unit ever "
                      "let it out later?",
            },
        ),
    ),
    checks=(
        Check("memory_held_back", lambda c: c.shown == "little" and c.output < 0.5,
              "at the chosen step and unit the output gate is below 0.5 and h shows under half of tanh(c)"),
        Check("kept_not_shown_exists", lambda c: c.hidden_cells > 0,
              f"some unit-steps hold |c| > {HELD} with |h| < {HIDDEN}"),
    ),
)
