"""Lesson 2: the LSTM's forget gate at 但是: where the curve turns, and which units drop their memory."""
from __future__ import annotations

from lessons.claims import CLOSED, forget_at_connective
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

LESSON = Lesson(
    id="forget",
    title={"zh": "LSTM 的遗忘门：读到“但是”", "en": "The LSTM's forget gate at 但是"},
    archs=("lstm",),
    claims=lambda models: forget_at_connective(models["lstm"], RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_read", model="lstm"),
            say={
                "zh": "LSTM 读同一段长评论。“但是”之前它有 {before:.0%} 认为是正面，读完“但是”是 {at:.0%}，最后是 {end:"
                      ".0%}。"
                      "曲线一步之内跌得最多的地方在“{biggest_fall_token}”（第 {biggest_fall} 个词），跌了 {fall:.2f}。",
                "en": "The LSTM reads the same long review. Before 但是 it is {before:.0%} positive, right after 但是 "
                      "{at:.0%}, at the end {end:.0%}. The curve's biggest one-step fall is at “{biggest_fall_token}” "
                      "(token {biggest_fall}), by {fall:.2f}.",
            },
        ),
        Step(
            View(tab="tab_read", model="lstm", maps=("forget",)),
            say={
                "zh": "遗忘门 f_t 决定旧记忆留多少：c_t = f_t · c_{{t−1}} + i_t · g_t。"
                      "f 接近 1 是记住，接近 0 是忘掉。",
                "en": "The forget gate f_t sets how much of the old memory stays: c_t = f_t · c_{{t−1}} + i_t · g_t. "
                      "Near 1 keeps, near 0 forgets.",
            },
            question=Question(
                ask={"zh": "在“但是”这一步，遗忘门（{units} 个单元的平均）比评论的其他位置更低还是更高？",
                     "en": "At 但是, will the forget gate (averaged over the {units} units) be lower or higher than "
                           "over the rest of the review?"},
                choices=(("down", {"zh": "更低：忘掉前面的夸奖", "en": "lower: the praise is let go"}),
                         ("up", {"zh": "更高：牢牢记住", "en": "higher: it holds on"})),
                answer="direction",
            ),
            reveal={
                "zh": "“但是”处的平均遗忘门是 {forget_at:.2f}，其他步是 {forget_rest:.2f}；在全部 {steps} "
                      "步里它从低到高排第 {forget_rank}。"
                      "这一步有 {closed_at} 个单元（共 {units} 个）的 f < " + f"{CLOSED}" + "，而一般的一步是 "
                                                                                "{closed_typical:.0f} 个。"
                      "在下面的遗忘门热图里找“但是”那一列（第 {connective} 个词）。",
                "en": "The mean forget gate at 但是 is {forget_at:.2f}, against {forget_rest:.2f} at the other steps; "
                      "among all {steps} steps it ranks {forget_rank} from the lowest. {closed_at} of the {units} "
                      "units "
                      "have f < " + f"{CLOSED}" + " there, against {closed_typical:.0f} at a typical step. "
                      "Find the 但是 column (token {connective}) in the forget-gate map below.",
            },
        ),
        Step(
            View(tab="tab_step", model="lstm", token="connective", unit="unit"),
            say={
                "zh": "单元 {unit} 在“但是”处最反常：它的遗忘门整段平均是 {unit_mean:.2f}，这里只有 {unit_forget:.2f}。"
                      "它的记忆 c 从“但是”之前的 {unit_cell_before:.2f} 变成 {unit_cell_at:.2f}：旧值只留下了 "
                      "{unit_forget:.1%}。"
                      "下面的公式就是这一步、这个单元的真实数字。",
                "en": "Unit {unit} breaks its habit most at 但是: its forget gate averages {unit_mean:.2f} over the "
                      "review "
                      "and is {unit_forget:.2f} here. Its memory c goes from {unit_cell_before:.2f} before 但是 to "
                      "{unit_cell_at:.2f}: only {unit_forget:.1%} of the old value is kept. The equations below are "
                      "this "
                      "step's and this unit's real numbers.",
            },
        ),
    ),
    checks=(
        Check("turns_at_connective", lambda c: c.biggest_fall == c.connective,
              "the LSTM's P(positive) falls most at the connective"),
        Check("forget_lowest_at_connective", lambda c: c.forget_rank == 1,
              "the mean forget gate is lowest at the connective of all steps"),
        Check("many_units_close", lambda c: c.closed_at > 2 * c.closed_typical,
              f"more than twice the typical number of units have f < {CLOSED} at the connective"),
        Check("unit_forgets", lambda c: c.unit_forget < 0.5 and c.unit_drop > 0.3,
              "the chosen unit's forget gate is below 0.5 at the connective, 0.3 below its own mean"),
    ),
)
