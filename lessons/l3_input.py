"""Lesson 3: the input gate, and what the LSTM writes for 的 compared with the words around it."""
from __future__ import annotations

from lessons.claims import input_gate_word
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import DE

LESSON = Lesson(
    id="input",
    title={"zh": "输入门与“的”", "en": "The input gate and 的"},
    archs=("lstm",),
    claims=lambda models: input_gate_word(models["lstm"], DE, "的"),
    steps=(
        Step(
            View(text=DE, tab="tab_read", model="lstm", maps=("input", "candidate")),
            say={
                "zh": "教材猜测：输入门可能不让“的”这种没有实际意义的词流进记忆。这句话里“的”出现了 {count} 次。"
                      "输入门 i_t 决定新内容 g_t 写进记忆多少：c_t = f_t · c_{{t−1}} + i_t · g_t。",
                "en": "The textbook guesses that the input gate may keep a word like 的 (a particle, \"of\") out of "
                      "the "
                      "memory. This sentence has 的 {count} times. The input gate i_t sets how much of the new content "
                      "g_t is written: c_t = f_t · c_{{t−1}} + i_t · g_t.",
            },
            question=Question(
                ask={"zh": "在“的”处，LSTM 的输入门会比其他词更低吗？",
                     "en": "At 的, will the LSTM's input gate be lower than at the other words?"},
                choices=(("lower", {"zh": "更低", "en": "lower"}), ("higher", {"zh": "不会更低", "en": "not lower"})),
                answer="gate_lower",
            ),
            reveal={
                "zh": "“的”处的平均输入门是 {input_word:.2f}，其他词是 {input_rest:.2f}：{gate_lower}。"
                      "但门只是一半：真正写进记忆的是 i·g。“的”的候选值平均 |g| 是 {candidate_word:.2f}（其他词 "
                      "{candidate_rest:.2f}），"
                      "所以“的”写入的平均 |i·g| 是 {written_word:.2f}，只有其他词（{written_rest:.2f}）的 "
                      "{written_share:.0%}。"
                      "下面是输入门 i 和候选值 g 的热图。",
                "en": "The mean input gate at 的 is {input_word:.2f}, at the other words {input_rest:.2f}: "
                      "{gate_lower}. "
                      "But the gate is only half of it: what is written is i·g. At 的 the candidate's mean |g| is "
                      "{candidate_word:.2f} (other words {candidate_rest:.2f}), so what 的 writes, mean |i·g| = "
                      "{written_word:.2f}, is {written_share:.0%} of what the other words write ({written_rest:.2f}). "
                      "Below: the maps of the input gate i and of the candidate g.",
            },
        ),
        Step(
            View(tab="tab_step", model="lstm", token="first"),
            say={
                "zh": "打开第一个“的”（第 {first} 个词）的单步公式：看 i、g 和它们的乘积。换几个单元试试，"
                      "再和旁边的“老师”比一比。",
                "en": "Open the step equations at the first 的 (token {first}): look at i, g and their product. "
                      "Try a few units, then compare with the word next to it, 老师 (teacher).",
            },
        ),
    ),
    checks=(
        Check("de_writes_less", lambda c: c.written_share < 1.0,
              "the LSTM writes less into its cell at 的 (mean |i·g|) than at the other words"),
    ),
    words={
        "lower": {"zh": "确实更低", "en": "lower indeed"},
        "higher": {"zh": "并不更低", "en": "not lower"},
    },
)
