"""Lesson 9: the memory race: how far back can each cell remember? (on the race page)

What the shipped race models show is not the textbook's picture, and the lesson says so: the RNN does not fade
with distance. It never learned to tell all the clues apart, holds the ones it learned at every gap, and its
error signal from the query back to the clue is too small to teach it the rest.
"""
from __future__ import annotations

from lessons.claims import RACE_CHECKS, race
from lessons.lesson import Check, Lesson, Question, Step, View

CELLS = ("rnn", "lstm", "gru")
PAGE = "race"

LESSON = Lesson(
    id="race",
    title={"zh": "记忆赛跑：谁记得更远", "en": "The memory race: who remembers further back"},
    archs=tuple(f"race_{cell}" for cell in CELLS),
    claims=lambda models: race({cell: models[f"race_{cell}"] for cell in CELLS}),
    steps=(
        Step(
            View(page=PAGE),
            say={
                "zh": "一个序列先给一个颜色词（8 个里的一个），再跟着 N 个评论里常见的普通词，最后是一个“？”："
                      "模型要说出开头的"
                      "颜色。RNN、LSTM 和 GRU 各有 32 个单元，用同一种方法、在间隔 1 到 {trained} 的序列上训练，"
                      "再在 1 到 {tested} 的每个间隔上测试。瞎猜的正确率是 {chance:.1%}。",
                "en": "A sequence starts with a colour word (one of 8), then N ordinary words from the reviews, then a "
                      "“？”: the model must name the colour it started with. An RNN, an LSTM and a GRU of 32 units "
                      "each were trained the same way on gaps of 1 to {trained} words, then tested at every gap from "
                      "1 to {tested}. Guessing gets {chance:.1%} right.",
            },
            question=Question(
                ask={"zh": "RNN 在多长的间隔上会掉到瞎猜的水平？",
                     "en": "At which gap does the RNN fall to chance?"},
                choices=(("rnn_falls", {"zh": "在 {tested} 以内的某个间隔", "en": "at some gap within {tested}"}),
                         ("rnn_never", {"zh": "到 {tested} 都不会", "en": "not within {tested}"})),
                answer="rnn_falls",
            ),
            reveal={
                "zh": "发布的 RNN 在间隔 {trained} 时答对 {rnn_trained:.0%}，在 {tested} 时 {rnn_tested:.0%}："
                      "曲线是平的，没有随距离变差。LSTM 和 GRU 在 {tested} 时是 {lstm_tested:.0%} 和 {gru_tested:.0%}。"
                      "RNN 不是“走远了就忘”，而是从来没学会分清全部 8 种颜色；学会的那些，它在每个间隔上都记得"
                      "（三个种子里最差的在 {tested} 时只有 {rnn_tested_low:.0%}）。",
                "en": "The shipped RNN is right {rnn_trained:.0%} of the time at gap {trained} and {rnn_tested:.0%} at "
                      "{tested}: a flat curve, not one that fades with distance. The LSTM and the GRU get "
                      "{lstm_tested:.0%} and {gru_tested:.0%} at {tested}. The RNN does not forget as the gap grows; "
                      "it "
                      "never learned to tell all 8 colours apart, and holds the ones it did learn at every gap (its "
                      "worst seed gets {rnn_tested_low:.0%} at {tested}).",
            },
        ),
        Step(
            View(page=PAGE),
            say={
                "zh": "为什么 RNN 学不会剩下的颜色？训练时，“？”处的误差要沿着每一步传回开头的颜色词。在间隔 {gap} "
                      "的序列上，lg ‖∂h_T/∂h_clue‖ 是：RNN {rnn_clue_log10:.1f}，LSTM {lstm_clue_log10:.1f}，"
                      "GRU {gru_clue_log10:.1f}。RNN 传回去的信号小到 10 的 {rnn_clue_log10:.0f} 次方：梯度下降几乎"
                      "教不了它。页面下方的梯度图画的就是这条曲线。",
                "en": "Why could the RNN not learn the other colours? In training, the error at the “？” has to flow "
                      "back through every step to the colour word. On a sequence with a gap of {gap}, log10 "
                      "‖∂h_T/∂h_clue‖ is {rnn_clue_log10:.1f} for the RNN, {lstm_clue_log10:.1f} for the LSTM and "
                      "{gru_clue_log10:.1f} for the GRU. What reaches the RNN's clue is 10 to the {rnn_clue_log10:.0f}:"
                      " "
                      "gradient descent can barely teach it anything there. The gradient chart on the page draws "
                      "this curve.",
            },
        ),
        Step(
            View(page=PAGE),
            say={
                "zh": "LSTM 把颜色记在哪里？自动找出的最好的细胞状态单元是第 {lstm_unit} 个：只看它一个在“？”处的值，"
                      "就能"
                      "说对 {lstm_unit_accuracy:.0%}。但它在间隔上的遗忘门平均只有 {lstm_unit_forget:.2f}，"
                      "连乘起来只让开头那一步的值留下 {lstm_unit_kept:.1e}：颜色不是靠 f≈1 原封不动地保存，而是每一步"
                      "重新写一遍。记忆分散在很多单元里：要剪掉排名最前的 {lstm_cut_units} 个单元，LSTM "
                      "的答案才会改变。",
                "en": "Where does the LSTM keep the colour? The best cell-state unit, found automatically, is unit "
                      "{lstm_unit}: its value at the “？” alone names the colour {lstm_unit_accuracy:.0%} of the time. "
                      "Yet its forget gate averages only {lstm_unit_forget:.2f} over the gap, and their product lets "
                      "{lstm_unit_kept:.1e} of the clue step's value through: the colour is not kept untouched by "
                      "f ≈ 1 but written again at every step. The memory is spread over many units: the LSTM's answer "
                      "changes only once its {lstm_cut_units} best-ranked units are cut.",
            },
        ),
    ),
    checks=(
        *(Check(*check) for check in RACE_CHECKS),
        Check("rnn_flat", lambda c: c.rnn_falls == "rnn_never" and abs(c.rnn_trained - c.rnn_tested) < 0.1,
              "the shipped RNN never falls to chance, and its accuracy at the longest tested gap is within 10 points "
              "of the longest trained one (flat, not fading)"),
        Check("rnn_learned_few", lambda c: c.rnn_trained < 0.9, "the shipped RNN misses at least 10% at the "
              "longest trained gap: it did not learn every clue"),
        Check("memory_spread", lambda c: c.lstm_cut_units > 1 and c.lstm_unit_kept < 0.01,
              "no single LSTM unit holds the clue by f close to 1: cutting one unit is not enough"),
    ),
)
