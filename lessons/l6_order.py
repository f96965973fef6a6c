"""Lesson 6: word order: 张三打了李四 against 李四打了张三, and why a bag of words cannot tell them apart."""
from __future__ import annotations

from lessons.claims import word_order
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import ORDER

YES_NO = (("yes", {"zh": "能", "en": "yes"}), ("no", {"zh": "不能", "en": "no"}))

LESSON = Lesson(
    id="order",
    title={"zh": "词序：张三打了李四", "en": "Word order: who hit whom"},
    archs=("rnn", "lstm", "gru"),
    claims=lambda models: word_order(models, *ORDER),
    steps=(
        Step(
            View(text=ORDER[0], pair=ORDER, tab="tab_pair", model="lstm"),
            say={
                "zh": "“张三非常生气，冲动之下打了李四”和“李四……打了张三”：同样 {tokens} 个词，"
                      "换了顺序，意思完全不同。",
                "en": "“张三 was furious and hit 李四” against “李四 … hit 张三”: the same {tokens} tokens in another "
                      "order, "
                      "and another story.",
            },
            question=Question(
                ask={"zh": "词袋模型只数每个词出现几次，不管顺序。它能分清这两句吗？",
                     "en": "A bag-of-words model counts words and ignores their order. Can it tell the two apart?"},
                choices=YES_NO,
                answer="bag_tells",
            ),
            reveal={
                "zh": "不能：两句的词频向量相差 {bag_distance:.1f}，用 LSTM 自己的词向量取平均也相差 "
                      "{mean_embedding_distance:.1f}。"
                      "只从词袋算出来的任何东西，对两句都一样。",
                "en": "No: their word-count vectors differ by {bag_distance:.1f}, and the average of the LSTM's own "
                      "word "
                      "vectors by {mean_embedding_distance:.1f}. Anything computed from the bag alone is the same for "
                      "both.",
            },
        ),
        Step(
            View(tab="tab_pair", model="lstm"),
            say={
                "zh": "循环网络按顺序读，每一步的状态都取决于之前读到的词。",
                "en": "A recurrent network reads in order: each step's state depends on the words before it.",
            },
            question=Question(
                ask={"zh": "三个循环模型读完两句后的最终状态，能分开吗？",
                     "en": "Do the three recurrent models end the two sentences in different states?"},
                choices=YES_NO,
                answer="tell_apart",
            ),
            reveal={
                "zh": "能：最终隐状态的距离（L2）是 RNN {rnn:.2f}、LSTM {lstm:.2f}、GRU {gru:.2f}。"
                      "LSTM 从第一个词起就分开了（{lstm_first:.2f}），因为第一个字一个是“张”一个是“李”。"
                      "情感是另一回事：LSTM 给两句的正面概率是 {lstm_a:.0%} 和 {lstm_b:.0%}，"
                      "情感模型不必在乎谁打了谁。",
                "en": "Yes: the final hidden states are apart (L2) by {rnn:.2f} for the RNN, {lstm:.2f} for the LSTM "
                      "and "
                      "{gru:.2f} for the GRU. The LSTM is apart from the first token on ({lstm_first:.2f}), as 张 and "
                      "李 "
                      "differ there. Sentiment is another matter: the LSTM gives {lstm_a:.0%} and {lstm_b:.0%} "
                      "positive; "
                      "a sentiment model need not care who hit whom.",
            },
        ),
    ),
    checks=(
        Check("same_bag", lambda c: c.same_bag == "yes" and c.bag_distance == 0.0 and c.mean_embedding_distance < 1e-6,
              "the two sentences have the same bag of words"),
        Check("recurrent_tell_apart", lambda c: c.tell_apart == "yes",
              "every recurrent model ends the two sentences in different hidden states"),
    ),
    words={"yes": {"zh": "能", "en": "yes"}, "no": {"zh": "不能", "en": "no"}},
)
