"""Lesson 5: the GRU's update gate as a mix of old and new, in both conventions."""
from __future__ import annotations

from lessons.claims import MIXED, gru_update
from lessons.lesson import Check, Lesson, Question, Step, View
from lessons.texts import CONNECTIVE, RESTAURANT

LESSON = Lesson(
    id="update",
    title={"zh": "GRU 的更新门：新旧的配比（两种写法）", "en": "The GRU's update gate: old and new, written two ways"},
    archs=("gru",),
    claims=lambda models: gru_update(models["gru"], RESTAURANT, CONNECTIVE),
    steps=(
        Step(
            View(text=RESTAURANT, tab="tab_step", model="gru", token="step", unit="unit", convention="textbook"),
            say={
                "zh": "GRU 没有单独的记忆 c：h_t 把旧状态 h_{{t−1}} 和新候选 h̃_t 按更新门 z 的比例混合。"
                      "教材写作 h_t = (1 − z_t) · h_{{t−1}} + z_t · h̃_t，z 是新内容的占比。"
                      "在“但是”（第 {step} 个词），单元 {unit} 的教材 z = {z_textbook:.3f}：它取新候选 {candidate:.2f} "
                      "的 "
                      "{z_textbook:.0%}，其余留给旧状态 {previous:.2f}。下面是这一步、这个单元的公式。",
                "en": "A GRU has no separate memory c: h_t mixes the old state h_{{t−1}} with a new candidate h̃_t, "
                      "and "
                      "the update gate z sets the mix. The textbook writes h_t = (1 − z_t) · h_{{t−1}} + z_t · h̃_t: z "
                      "is "
                      "the share of the new. At 但是 (token {step}), unit {unit} has textbook z = {z_textbook:.3f}: it "
                      "takes {z_textbook:.0%} of the new candidate {candidate:.2f}, the rest from its old state "
                      "{previous:.2f}. Below: this step's equations for this unit.",
            },
        ),
        Step(
            View(tab="tab_step", model="gru", token="step", unit="unit", convention="torch"),
            say={
                "zh": "现在页面换成 PyTorch 的写法：h_t = (1 − z_t) · n_t + z_t · h_{{t−1}}。",
                "en": "Now the page shows PyTorch's form: h_t = (1 − z_t) · n_t + z_t · h_{{t−1}}.",
            },
            question=Question(
                ask={"zh": "同一个门、同一个单元，PyTorch 写法里的 z 会是多少？",
                     "en": "Same gate, same unit: what number will PyTorch's z be?"},
                choices=(("same", {"zh": "还是 {z_textbook:.3f}", "en": "still {z_textbook:.3f}"}),
                         ("complement", {"zh": "1 − {z_textbook:.3f}", "en": "1 − {z_textbook:.3f}"})),
                answer="torch_reads",
            ),
            reveal={
                "zh": "PyTorch 的 z = {z_torch:.3f}（这里直接用 GRU 的权重重新算出），是保留旧状态的比例："
                      "同一个门，两本书的意思正好相反，两个数相加为 1。用教材的写法验算这一步："
                      "(1 − {z_textbook:.3f}) × {previous:.3f} + {z_textbook:.3f} × {candidate:.3f} = {mix:.3f}，"
                      "记录下来的 h 是 {hidden:.3f}。",
                "en": "PyTorch's z = {z_torch:.3f} (recomputed here from the GRU's own weights) is the share of the "
                      "old state kept: the same gate means opposite things in the two books, and the two numbers add "
                      "to 1. Check the step in the textbook's form: (1 − {z_textbook:.3f}) × {previous:.3f} + "
                      "{z_textbook:.3f} × {candidate:.3f} = {mix:.3f}, and the recorded h is {hidden:.3f}.",
            },
        ),
        Step(
            View(tab="tab_read", model="gru", convention="textbook", maps=("update",)),
            say={
                "zh": "按单元平均，教材的 z 在“但是”处是 {new_at:.2f}，其他步平均是 {new_rest:.2f}"
                      "（在 {steps} 个词里从多到少排第 {new_rank}）。在下面的更新门热图里找一找："
                      "哪些词让它大量采纳新内容？",
                "en": "Averaged over units, the textbook's z is {new_at:.2f} at 但是 and {new_rest:.2f} at the other "
                      "steps (rank {new_rank} of {steps} from the most). Look in the update-gate map below: which "
                      "words make it take in new content?",
            },
        ),
    ),
    checks=(
        Check("conventions_add_to_one", lambda c: c.torch_reads == "complement",
              "PyTorch's z recomputed from the GRU's weights is 1 − the textbook z the page shows"),
        Check("mix_is_the_state", lambda c: abs(c.mix - c.hidden) < 1e-4,
              "the textbook's (1 − z)·h_prev + z·h̃, with the page's z, equals the recorded h"),
        Check("unit_mixes", lambda c: MIXED <= c.z_textbook <= 1 - MIXED,
              f"the chosen unit takes between {MIXED:.0%} and {1 - MIXED:.0%} of the new candidate"),
    ),
)
