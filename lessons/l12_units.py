"""Lesson 12: units that found a feature (on the language-model and units pages).

A character language model is only ever told to guess the next character. What its units turned out to track is
found by ranking every unit against properties of the text (``models.units``); the lesson shows the clearest
one on the shipped LSTM, a clause-length counter, then a unit that reacts to negation, and then says plainly that
no single unit of these small models reads sentiment the way Radford et al.'s did.
"""
from __future__ import annotations

from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.lm_claims import FOUND_R, FOUND_TIMES, units_claims

TEXT = "这家店的菜很好吃，服务也不错，就是价格有点贵。下次还会再来，推荐给大家！"
MODEL = "lm_lstm"

LESSON = Lesson(
    id="units",
    title={"zh": "自己找到特征的单元", "en": "Units that found a feature"},
    archs=("lm_lstm", "lm_gru", "lm_rnn", "lstm"),
    claims=lambda models: units_claims(models, TEXT),
    steps=(
        Step(
            View(page="lm", link={"text": TEXT, "view": "next", "model": MODEL}),
            say={
                "zh": "字符语言模型只做一件事：读到这里，猜下一个字。下面每个字的颜色是模型看到它时的意外程度"
                      "（比特）。在测试集上，平均每个字 LSTM {lstm_bits:.2f} 比特，GRU {gru_bits:.2f}，RNN "
                      "{rnn_bits:.2f}；{ngram_order} 元 Kneser-Ney 模型（只数字串出现的次数）是 {ngram_bits:.2f}："
                      "LSTM {lstm_vs_ngram}它，GRU {gru_vs_ngram}它，RNN {rnn_vs_ngram}它。",
                "en": "A character language model does one thing: having read this far, guess the next character. "
                      "Each character below is coloured by how surprised the model was to see it (bits). On the "
                      "test split the LSTM needs {lstm_bits:.2f} bits a character, the GRU {gru_bits:.2f}, the "
                      "RNN {rnn_bits:.2f}; a {ngram_order}-character Kneser-Ney model, which only counts strings, "
                      "needs {ngram_bits:.2f}: the LSTM {lstm_vs_ngram} it, the GRU {gru_vs_ngram} it, the RNN "
                      "{rnn_vs_ngram} it.",
            },
        ),
        Step(
            View(page="lm", link={"text": TEXT, "view": "colour", "model": MODEL, "state": "cell",
                                  "unit": "{clause_unit}"}),
            say={
                "zh": "没有人告诉模型哪里是一个分句的结尾。它的细胞状态里有没有一个单元在数“离上一个标点过了几个字”？",
                "en": "Nobody told the model where a clause ends. Is there a unit in its cell state that counts the "
                      "characters since the last punctuation mark?",
            },
            question=Question(
                ask={"zh": "有没有这样一个单元？", "en": "Is there such a unit?"},
                choices=(("yes", {"zh": "有", "en": "yes"}), ("no", {"zh": "没有", "en": "no"})),
                answer="counter_found",
            ),
            reveal={
                "zh": "自动排名在 {sample} 条测试评论上找到细胞单元 {clause_unit}：它和“离上一个标点的字数”的相关系数 "
                      "r = {clause_r:.2f}；把这个属性打乱后，所有单元里最好的也只有 {clause_baseline:.3f}。在这段话上 "
                      "r = {clause_text_r:.2f}：它沿着每个分句朝一个方向走，到了，。！就跳回去（平均跳 "
                      "{clause_drop:.1f} 个标准差）。Karpathy 等人在英文里找到过数行长度的单元；这里是中文的分句。",
                "en": "Ranked automatically over {sample} test reviews: cell unit {clause_unit} has r = {clause_r:.2f} "
                      "with the characters since the last punctuation mark; against the same property shuffled, the "
                      "best of all units reaches {clause_baseline:.3f}. On this text r = {clause_text_r:.2f}: it "
                      "moves one way along each clause and jumps back at every ，。！ (by {clause_drop:.1f} standard "
                      "deviations on average). Karpathy et al. found a unit that counts line length in English; "
                      "this one counts Chinese clauses.",
            },
        ),
        Step(
            View(page="units", link={"model": MODEL, "property": "after_negator", "state": "c",
                                     "unit": "{negator_unit}"}),
            say={
                "zh": "这一页把每个单元和六种文字属性逐一比较。在一个分句里出现“不、没、别”之后，细胞单元 "
                      "{negator_unit} 的 r = {negator_r:.2f}（打乱基线 {negator_baseline:.3f}）：它比数字数的单元"
                      "弱，但远不是偶然。下面还可以写一个自己的正则表达式，看哪个单元在追踪它。",
                "en": "This page compares every unit with six properties of the text. After 不, 没 or 别 within a "
                      "clause, cell unit {negator_unit} has r = {negator_r:.2f} (shuffled baseline "
                      "{negator_baseline:.3f}): weaker than the counter, far from chance. Below, write a regular "
                      "expression of your own and see which unit tracks it.",
            },
        ),
        Step(
            View(page="units", link={"model": MODEL, "property": "after_negator"}),
            say={
                "zh": "Radford 等人在读了 8200 万条评论的字符 LSTM 里找到过一个“情感单元”。"
                      "我们的模型只读了约一百万个字：评论读完时最好的单个单元"
                      "（{sentiment_state} {sentiment_unit}，在验证集上选出）在测试集上答对 {sentiment_accuracy:.0%}，"
                      "而专门训练的情感 LSTM 答对 {classifier_accuracy:.0%}。这是一个弱单元，"
                      "也是一个结果：猜下一个字没有逼这个小模型把褒贬放进一个方向。",
                "en": "Radford et al. found a “sentiment unit” in a character LSTM that read 82 million reviews. "
                      "Ours read about a million characters: its best single unit at the end of a review "
                      "({sentiment_state} {sentiment_unit}, chosen on validation) gets {sentiment_accuracy:.0%} of the "
                      "test reviews right, where the sentiment LSTM trained for it gets {classifier_accuracy:.0%}. A "
                      "weak unit is a result too: guessing the next character did not push this small model to put "
                      "praise and blame along one direction.",
            },
        ),
    ),
    checks=(
        Check("counter", lambda c: c.counter_found == "yes",
              f"the LSTM's best clause-length cell unit has |r| >= {FOUND_R} and >= {FOUND_TIMES}x its shuffled "
              "baseline"),
        Check("jumps_back", lambda c: c.clause_drop * c.clause_r < 0 and abs(c.clause_text_r) >= FOUND_R,
              "on the lesson's text the counter tracks the clause length and moves back at punctuation marks"),
        Check("negator", lambda c: abs(c.negator_r) >= 0.2 and abs(c.negator_r) >= 5 * c.negator_baseline,
              "a cell unit tracks 'after a negator' with |r| >= 0.2 and 5x its baseline"),
        Check("weak_sentiment_unit", lambda c: c.sentiment_accuracy < c.classifier_accuracy - 0.1,
              "the language model's best sentiment unit is at least 10 points below the sentiment LSTM"),
    ),
    words={"beats": {"zh": "胜过", "en": "beats"}, "trails": {"zh": "不如", "en": "trails"},
           "cell": {"zh": "细胞单元", "en": "cell unit"}, "hidden": {"zh": "隐藏单元", "en": "hidden unit"}},
)
