"""Lesson 1: an RNN's memory fades (the long restaurant review through the plain RNN)."""
from __future__ import annotations

from lessons.claims import fading_memory
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

LESSON = Lesson(
    id="fading",
    title={"zh": "RNN 的记忆会褪色", "en": "An RNN's memory fades"},
    archs=("rnn", "lstm"),
    claims=lambda models: fading_memory(models, RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model="rnn"),
            say={
                "zh": "教材里的长评论：先夸菜，再“但是”，然后一串抱怨，共 {steps} 个词。普通 RNN 一个词一个词地读，"
                      "曲线是它每读一个词后的正面概率。读到“但是”之前是 {before:.0%}，读完最后一个词是 {end:"
                      ".0%}（{end_label}）。",
                "en": "The textbook's long review: praise, then 但是 (but), then complaints, {steps} tokens in all. "
                      "The plain RNN reads it word by word; the curve is its P(positive) after each token. "
                      "Just before 但是 it is {before:.0%}; after the last token {end:.0%} ({end_label}).",
            },
        ),
        Step(
            View(tab="tab_read", model="rnn", maps=("hidden",)),
            say={
                "zh": "RNN 只有一个状态 h，每一步都用 h_t = tanh(W x_t + V h_{{t−1}} + b) 把新词和旧记忆揉在一起。"
                      "揭晓后，下面的热图画出 h：每行一个单元，每列一个词。",
                "en": "The RNN has one state h, and every step kneads the new word into it: "
                      "h_t = tanh(W x_t + V h_{{t−1}} + b). After the answer, the map below draws h: one row per "
                      "unit, one column per token.",
            },
            question=Question(
                ask={"zh": "读完整段评论时，RNN 最后的状态里还留着“但是”之前的夸奖吗？",
                     "en": "When the RNN reaches the end, does its last state still carry the praise before 但是?"},
                choices=(("yes", {"zh": "还留着", "en": "yes, it still does"}),
                         ("no", {"zh": "基本没了", "en": "hardly any more"})),
                answer="reaches_praise",
            ),
            reveal={
                "zh": "只读最后 {span} 个词（从“{span_first}”开始），RNN 的最终状态就和读完整段的几乎一样（余弦相似度 "
                      "≥ 0.9）："
                      "全文 {span_share:.0%} 的词决定了它的结尾，这段窗口碰不到“但是”之前的夸奖。"
                      "用同样的方法量 LSTM：它需要最后 {lstm_span} 个词。多还是少，由它的门决定（见第 2、8 课）；RNN "
                      "没有门可用。",
                "en": "Read only the last {span} tokens (from “{span_first}”) and the RNN ends in almost the same "
                      "state as "
                      "after the whole review (cosine ≥ 0.9): {span_share:.0%} of the text makes its ending, and that "
                      "window does not reach the praise before 但是. Measured the same way, the LSTM needs its last "
                      "{lstm_span} tokens. More or fewer, its gates decide (lessons 2 and 8); the RNN has no gate to "
                      "decide with.",
            },
        ),
        Step(
            View(tab="tab_compare"),
            say={
                "zh": "三个模型读同一段评论。看每条曲线在“但是”之后何时越过 0.5，以及 RNN "
                      "的曲线在后半段是不是更像在随最近几个词摇摆。",
                "en": "All three models on the same review. Look for where each curve crosses 0.5 after 但是, and "
                      "whether "
                      "the RNN's curve in the second half sways with the last few words.",
            },
        ),
    ),
    checks=(
        Check("rnn_memory_fades", lambda c: c.reaches_praise == "no",
              "the RNN's final state is made by a window of last tokens that stops after the connective"),
    ),
)
