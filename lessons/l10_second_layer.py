"""Lesson 10: what the second layer adds: the two-layer LSTM's layers at 但是."""
from __future__ import annotations

from lessons.depth_claims import second_layer
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

MODEL = "lstm_2layer"

LESSON = Lesson(
    id="second_layer",
    title={"zh": "第二层多了什么", "en": "What the second layer adds"},
    archs=(MODEL,),
    claims=lambda models: second_layer(models[MODEL], RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model=MODEL, maps=("forget",), layer=0),
            say={
                "zh": "这是一个两层的 LSTM：第 1 层读词，第 2 层读第 1 层在每个词上的隐藏状态 h。模型的判断只看第 2 "
                      "层。"
                      "“但是”之前它有 {before:.0%} 认为是正面，读完“但是”是 {at:.0%}，最后是 {end:.0%}。"
                      "这里是第 1 层的遗忘门热图：在“但是”（第 {connective} 个词）它的平均值是 {layer1.forget_at:.2f}，"
                      "是全文最低的一步（其他位置平均 {layer1.forget_rest:.2f}）。",
                "en": "A two-layer LSTM: layer 1 reads the words, layer 2 reads layer 1's hidden state h at each word, "
                      "and the answer reads layer 2 only. Before 但是 it is {before:.0%} positive, right after it "
                      "{at:.0%}, at the end {end:.0%}. This is layer 1's forget-gate map: at 但是 (token {connective}) "
                      "its mean is {layer1.forget_at:.2f}, the lowest step of the text (elsewhere "
                      "{layer1.forget_rest:.2f}).",
            },
        ),
        Step(
            View(tab="tab_read", model=MODEL, maps=("forget",), layer=1),
            say={
                "zh": "第 2 层的遗忘门热图：它的遗忘门在“但是”也降到全文最低：{layer2.forget_at:.2f}，其他位置平均 "
                      "{layer2.forget_rest:.2f}。两层都在这里放下了前面的夸奖。",
                "en": "Layer 2's forget-gate map: its forget gate drops to its lowest at 但是 as well: "
                      "{layer2.forget_at:.2f}, against "
                      "{layer2.forget_rest:.2f} elsewhere. Both layers let go of the praise here.",
            },
        ),
        Step(
            View(tab="tab_read", model=MODEL, maps=("hidden",), layer=1),
            say={
                "zh": "每一层的隐藏状态每读一个词都会移动一段距离 ‖h_t − h_{{t−1}}‖。两层平时走的步子不一样大，"
                      "所以拿每层在“但是”的一步和它自己的中位数比。下面的热图画出 h（第 2 层）。",
                "en": "Each layer's hidden state moves by ‖h_t − h_{{t−1}}‖ at every word. The two layers move by "
                      "different amounts as a rule, so each layer's move at 但是 is compared with its own median move. "
                      "Here the map below draws h of layer 2.",
            },
            question=Question(
                ask={"zh": "和自己平时的步子相比，哪一层在“但是”转得更猛？",
                     "en": "Against its own usual step, which layer turns more sharply at 但是?"},
                choices=(("layer2", {"zh": "第 2 层", "en": "layer 2"}),
                         ("layer1", {"zh": "第 1 层", "en": "layer 1"})),
                answer="sharper",
            ),
            reveal={
                "zh": "第 2 层：在“但是”走了 {layer2.move_at:.2f}，是它中位步长 {layer2.median_move:.2f} 的 "
                      "{layer2.move_ratio:.1f} 倍。第 1 层：{layer1.move_at:.2f}，是中位步长 {layer1.median_move:.2f} "
                      "的 "
                      "{layer1.move_ratio:.1f} 倍。第 2 层平时几乎不动，读词的是第 1 层；到了“但是”，第 2 "
                      "层走出全文最大的一步。"
                      "最后，第 2 层的状态和“但是”之前的状态方向相反（余弦 {layer2.end_vs_before:.2f}），"
                      "第 1 层的则几乎无关（{layer1.end_vs_before:.2f}）：第 2 层记的是判断，第 1 层记的是眼前的词。",
                "en": "Layer 2 moves {layer2.move_at:.2f} at 但是, {layer2.move_ratio:.1f} times its median step of "
                      "{layer2.median_move:.2f}; layer 1 moves {layer1.move_at:.2f}, {layer1.move_ratio:.1f} times its "
                      "median of {layer1.median_move:.2f}. Layer 2 barely moves word by word, where layer 1 follows "
                      "the "
                      "words; at 但是 layer 2 makes its biggest move of the text. At the end, layer 2's state points "
                      "away from where it was before 但是 (cosine {layer2.end_vs_before:.2f}), while layer 1's is "
                      "about unrelated to it ({layer1.end_vs_before:.2f}): layer 2 keeps the verdict, layer 1 the "
                      "words at hand.",
            },
        ),
    ),
    checks=(
        Check("turns", lambda c: c.before > 0.5 > c.end, "the two-layer LSTM turns from positive to negative"),
        Check("both_lowest", lambda c: c.layer1.forget_rank == 1 and c.layer2.forget_rank == 1,
              "both layers' mean forget gates are at their lowest of the text at the connective"),
        Check("second_sharper", lambda c: c.sharper == "layer2" and c.calmer == "layer2",
              "layer 2 moves less as a rule and more, against its median, at the connective"),
        Check("biggest_move", lambda c: c.layer2.move_rank == 1, "layer 2's biggest move is at the connective"),
        Check("verdict", lambda c: c.layer2.end_vs_before < -0.3 and abs(c.layer1.end_vs_before) < 0.3,
              "layer 2's final state points away from its state before the connective; layer 1's is about unrelated"),
    ),
)
