"""Lesson 11: reading both ways: what the bidirectional LSTM's backward half knows at 但是."""
from __future__ import annotations

from lessons.depth_claims import both_ways
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

MODEL = "lstm_bi"

LESSON = Lesson(
    id="both_ways",
    title={"zh": "两个方向一起读", "en": "Reading both ways"},
    archs=(MODEL,),
    claims=lambda models: both_ways(models[MODEL], RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model=MODEL, maps=("hidden",), direction=0),
            say={
                "zh": "双向 LSTM 有两半：正向这一半从第一个词读到最后，反向这一半从最后一个词读回第一个。"
                      "判断读的是两半各自读完时的状态：正向在最后一个词之后，反向在第一个词之后。"
                      "把一半的状态乘上输出层里属于它的权重，就是它给“正面减负面”投的票：正数偏正面。"
                      "在“但是”（第 {connective} 个词），正向这一半只读过前面的夸奖，它的票是 {forward_at:+.2f}。"
                      "下面的热图画出 h（正向）。",
                "en": "A bidirectional LSTM has two halves: the forward half reads from the first word to the last, "
                      "the "
                      "backward half from the last word back to the first. The answer reads each half's state when it "
                      "has finished: the forward half's after the last word, the backward half's after the first. A "
                      "half's state times its share of the output weights is its vote for positive minus negative: "
                      "above 0 leans positive. At 但是 (token {connective}) the forward half has read only the "
                      "praise, and its vote is {forward_at:+.2f}. In the figure, the map below draws h of the forward "
                      "half.",
            },
        ),
        Step(
            View(tab="tab_read", model=MODEL, maps=("hidden",), direction=1),
            say={
                "zh": "反向这一半在“但是”这一步的状态，是它从文末读回到“但是”之后的状态：它已经读过后面的抱怨，"
                      "还没读前面的夸奖。下面的热图画出 h（反向）：图里的词仍按原文从左到右排列。",
                "en": "The backward half's state at 但是 is its state after reading from the text's end back to 但是: "
                      "it "
                      "has read the complaints after it, and none of the praise before it. Here the map below draws h "
                      "of the backward half, in the text's "
                      "order, left to right.",
            },
            question=Question(
                ask={"zh": "在“但是”这一步，反向这一半投的票偏哪边？",
                     "en": "At 但是, which way does the backward half's vote lean?"},
                choices=(("negative", {"zh": "负面：它读过抱怨了", "en": "negative: it has read the complaints"}),
                         ("positive", {"zh": "正面", "en": "positive"})),
                answer="backward_leans",
            ),
            reveal={
                "zh": "反向这一半在“但是”的票是 {backward_at:+.2f}，正向这一半是 {forward_at:+.2f}：同一个位置，"
                      "两半知道的东西不一样。反向的票不大；在“但是”之后的各步平均是 {backward_after_mean:+.2f}，"
                      "在它之前的各步平均是 {backward_before_mean:+.2f}。",
                "en": "The backward half votes {backward_at:+.2f} at 但是, the forward half {forward_at:+.2f}: at the "
                      "same word the two halves know different things. The backward vote is small: its mean over the "
                      "steps after 但是 is {backward_after_mean:+.2f}, over the steps before it "
                      "{backward_before_mean:+.2f}.",
            },
        ),
        Step(
            View(tab="tab_read", model=MODEL, chart="curve"),
            say={
                "zh": "判断读的是两半最后的状态，而各自最后读到的正好相反：正向最后读的是抱怨，票是 "
                      "{forward_end:+.2f}；"
                      "反向最后读的是夸奖，票是 {backward_start:+.2f}。加起来，整段是 {end:.0%} 正面（{label}）。"
                      "曲线上每个词的值是“如果文字在这里结束会怎么判断”，要对每个前缀各跑一遍："
                      "只读到“但是”的话，它有 {prefix_at:.0%} 认为是正面。",
                "en": "The answer reads each half's last state, and each half read the opposite thing last: the "
                      "forward "
                      "half ends on the complaints and votes {forward_end:+.2f}, the backward half ends on the praise "
                      "and votes {backward_start:+.2f}. Together the text is {end:.0%} positive ({label}). The curve's "
                      "value at a word is what it would say had the text ended there, from a run on each prefix: had "
                      "it stopped at 但是, it would be {prefix_at:.0%} positive.",
            },
        ),
    ),
    checks=(
        Check("halves_differ", lambda c: c.forward_leans == "positive" and c.backward_leans == "negative",
              "at the connective the forward half votes positive and the backward half negative"),
        Check("ends_opposite", lambda c: c.forward_end < 0 < c.backward_start,
              "the forward half's last state votes negative, the backward half's last state positive"),
        Check("reads_negative", lambda c: c.label == "negative" and c.prefix_at > 0.5,
              "the whole review is read negative; its prefix up to the connective positive"),
        Check("after_below_before", lambda c: c.backward_after_mean < 0 < c.backward_before_mean,
              "the backward half votes negative after the connective and positive before it, on average"),
    ),
)
