"""Lesson 7: gradients vanish in the RNN, and the gates keep a path open (the distance curve)."""
from __future__ import annotations

from lessons.claims import FADED, gradient_paths
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}

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
                      "last state moves when the state at step t moves. The textbook says it vanishes over distance in "
                      "an "
                      "RNN, and gates keep a path open.",
            },
            question=Question(
                ask={"zh": "从评论结尾回到“但是”有 {distance} 步。哪个模型的梯度在那里最小？",
                     "en": "From the end of the review back to 但是 is {distance} steps. Whose gradient is smallest "
                           "there?"},
                choices=(("rnn", {"zh": "RNN", "en": "RNN"}), ("lstm", {"zh": "LSTM", "en": "LSTM"}),
                         ("gru", {"zh": "GRU", "en": "GRU"})),
                answer="lowest_at_connective",
            ),
            reveal={
                "zh": "距离 {distance} 处的 log10 ‖∂h_T/∂h_t‖：RNN {rnn_log10:.1f}，LSTM {lstm_log10:.1f}，GRU "
                      "{gru_log10:.1f}。"
                      "RNN 的 {rnn_log10:.1f} 表示梯度约为 10 的 {rnn_log10:.0f} 次方，比 LSTM 的小大约 "
                      "{rnn_below_lstm:.0f} 个数量级"
                      "（每个数量级是 10 倍）。"
                      "回到第一个词（{far} 步）：RNN {rnn_far_log10:.1f}，LSTM {lstm_far_log10:.1f}，GRU "
                      "{gru_far_log10:.1f}。"
                      "跌到距离 1 处的 " + f"{FADED:.0%}" + " 以下：{rnn_fades}；{lstm_fades}；{gru_fades}。",
                "en": "log10 ‖∂h_T/∂h_t‖ at distance {distance}: RNN {rnn_log10:.1f}, LSTM {lstm_log10:.1f}, GRU "
                      "{gru_log10:.1f}. The RNN's {rnn_log10:.1f} means a gradient of about 10 to the power "
                      "{rnn_log10:.0f}: about {rnn_below_lstm:.0f} orders of magnitude (factors of 10) below the "
                      "LSTM's. Back at the first token ({far} "
                      "steps): RNN {rnn_far_log10:.1f}, LSTM {lstm_far_log10:.1f}, GRU {gru_far_log10:.1f}. Below "
                      + f"{FADED:.0%}" + " of its value at distance 1: {rnn_fades}; {lstm_fades}; {gru_fades}.",
            },
        ),
        Step(
            View(tab="tab_memory", model="lstm", chart="retention"),
            say={
                "zh": "“保留”是门值沿途的乘积：第 s 个词写进的内容到结尾还剩多少。下面每个点是一个词：横轴是保留，"
                      "纵轴是梯度。"
                      "Spearman 相关 ρ 比较两种排序：1 是顺序相同，0 是毫无关系，−1 是正好相反。"
                      "LSTM 的 ρ = {lstm_rho:.2f}：{lstm_relation}。GRU 的 ρ = {gru_rho:.2f}：{gru_relation}。"
                      "两者不一致的地方，梯度走的是权重矩阵，而不只是门。",
                "en": "Retention is the product of the gate values on the way: how much of what token s wrote is left "
                      "at the end. Below, one point per token: retention across, gradient up. Spearman's ρ compares "
                      "the "
                      "two orders: 1 is the same order, 0 no relation, −1 the reverse. The LSTM's ρ = {lstm_rho:.2f}: "
                      "{lstm_relation}. The GRU's ρ = {gru_rho:.2f}: {gru_relation}. Where the two part, the gradient "
                      "travels through the weight matrices, not only along the gates.",
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
    words={
        **{f"{arch}_faded": {"zh": f"{name} 在 {{{arch}_fade}} 步后",
                             "en": f"the {name}'s curve after {{{arch}_fade}} steps"}
           for arch, name in NAMES.items()},
        **{f"{arch}_never": {"zh": f"{name} 整段都没有（一直到第一个词）",
                             "en": f"the {name}'s never, all the way back to the first token"}
           for arch, name in NAMES.items()},
        "together": {"zh": "两种排序几乎一致，门保留得越久的词，梯度也传得越远",
                     "en": "the two orders go together: the tokens its gates keep longer are the ones the gradient "
                           "reaches more"},
        "partly": {"zh": "两种排序只有一部分一致", "en": "the two orders go together only in part"},
        "unrelated": {"zh": "两种排序几乎无关，门保留得久的词，梯度并不因此传得更远",
                      "en": "the two orders are hardly related: a token its gates keep longer is no more likely to "
                            "be one the gradient reaches more"},
        "partly_opposed": {"zh": "两种排序略有相反的倾向", "en": "the two orders lean slightly opposite ways"},
        "opposed": {"zh": "两种排序相反，门保留得多的词，梯度反而传得少",
                    "en": "the two orders run opposite: what its gates keep more, the gradient reaches less"},
        "none": {"zh": "无法比较", "en": "the two cannot be compared"},
    },
)
