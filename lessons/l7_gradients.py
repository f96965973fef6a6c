"""Lesson 7: gradients vanish in the RNN, and the gates keep a path open (the distance curve)."""
from __future__ import annotations

from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT
from models.claims import FADED, gradient_paths

LESSON = Lesson(
    id="gradients",
    title={"zh": "梯度在 RNN 里消失，门留住了通路", "en": "Gradients vanish in the RNN; gates keep a path open"},
    archs=("rnn", "lstm", "gru"),
    claims=lambda models: gradient_paths(models, RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_memory", model="lstm"),
            say={
                "zh": "训练时，第 t 步的词对结果的影响要经过梯度 ‖∂h_T/∂h_t‖：第 t 步的状态动一点，最后的状态动多少。"
                      "教材说：在 RNN 里它随距离消失，门能留住一条通路。",
                "en": "In training, a word at step t reaches the result through the gradient ‖∂h_T/∂h_t‖: how much the "
                      "last state moves when the state at step t moves. The textbook says it vanishes over distance in an "
                      "RNN, and gates keep a path open.",
            },
            question=Question(
                ask={"zh": "从评论结尾回到“但是”有 {distance} 步。哪个模型的梯度在那里最小？",
                     "en": "From the end of the review back to 但是 is {distance} steps. Whose gradient is smallest there?"},
                choices=(("rnn", {"zh": "RNN", "en": "RNN"}), ("lstm", {"zh": "LSTM", "en": "LSTM"}),
                         ("gru", {"zh": "GRU", "en": "GRU"})),
                answer="lowest_at_connective",
            ),
            reveal={
                "zh": "距离 {distance} 处的 log10 ‖∂h_T/∂h_t‖：RNN {rnn_log10:.1f}，LSTM {lstm_log10:.1f}，GRU {gru_log10:.1f}。"
                      "回到第一个词（{far} 步）：RNN {rnn_far_log10:.1f}，LSTM {lstm_far_log10:.1f}，GRU {gru_far_log10:.1f}。"
                      "RNN 的曲线在 {rnn_fade} 步后就不到距离 1 处的 " + f"{FADED:.0%}" +
                      "；LSTM 是 {lstm_fade} 步，GRU 是 {gru_fade} 步（{steps} 表示整段都没有）。",
                "en": "log10 ‖∂h_T/∂h_t‖ at distance {distance}: RNN {rnn_log10:.1f}, LSTM {lstm_log10:.1f}, GRU "
                      "{gru_log10:.1f}. Back at the first token ({far} steps): RNN {rnn_far_log10:.1f}, LSTM "
                      "{lstm_far_log10:.1f}, GRU {gru_far_log10:.1f}. The RNN's curve is below " + f"{FADED:.0%}" +
                      " of its value at distance 1 after {rnn_fade} steps; the LSTM's after {lstm_fade}, the GRU's after "
                      "{gru_fade} ({steps} means never).",
            },
        ),
        Step(
            View(tab="tab_memory", model="lstm"),
            say={
                "zh": "保留图画的是遗忘门的乘积：第 s 个词写进的内容到第 t 步还剩多少。保留和梯度在各个词上的 Spearman 相关："
                      "LSTM {lstm_rho:.2f}，GRU {gru_rho:.2f}。找一找两者不一致的地方：门不是梯度的唯一通路。",
                "en": "The retention map draws products of forget gates: how much of what word s wrote is left at step t. "
                      "Spearman's ρ between retention and gradient over the tokens: LSTM {lstm_rho:.2f}, GRU {gru_rho:.2f}. "
                      "Look for where the two disagree: the gates are not the gradient's only path.",
            },
        ),
    ),
    checks=(
        Check("rnn_lowest_far", lambda c: c.lowest == "rnn",
              "the RNN's distance curve is the lowest of the three at the first token"),
        Check("rnn_lowest_at_connective", lambda c: c.lowest_at_connective == "rnn",
              "the RNN's distance curve is the lowest of the three at the connective"),
        Check("rnn_fades_first", lambda c: c.rnn_fade < c.steps,
              f"the RNN's curve falls below {FADED:.0%} of its start within the review"),
    ),
)
