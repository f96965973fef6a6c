"""Model shapes on the page: a model's name for a reader (two-layer, bidirectional), the shape choice's values,
and what the page says about layers and directions, in zh and en (this module's STRINGS table)."""
from __future__ import annotations

from models.names import parse_name
from ui.i18n import DEFAULT_LANG

SHAPES = ("1layer", "2layer", "bi")  # the shape choice's values, one layer (the page's default) first
_SUFFIX = {"1layer": "", "2layer": "_2layer", "bi": "_bi"}
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}

STRINGS = {
    "zh": {
        "shape": "模型结构",
        "shape_help": "单层单向是默认的模型；两层模型的第 2 层读第 1 层的隐藏状态；双向模型还有一半从文末往回读。",
        "shape_1layer": "单层",
        "shape_2layer": "两层",
        "shape_bi": "双向",
        "name_1layer": "{cell}",
        "name_2layer": "两层 {cell}",
        "name_bi": "双向 {cell}",
        "name_race": "记忆赛跑 {cell}",
        "layer": "层",
        "layer_value": "第 {number} 层",
        "direction": "方向",
        "direction_0": "正向 →",
        "direction_1": "反向 ←",
        "backward_note": "反向这一半从文末往回读：某个词下面的值，是它从最后一个词读回到这个词之后的状态。"
                         "图里的词仍按原文从左到右排列，不用在脑子里倒过来；它读的顺序是从右到左。",
        "upper_layer_note": "第 {number} 层读的不是词，而是第 {below} 层在同一个词上的隐藏状态 h。",
        "layer_input_heading": "第 {number} 层的输入 x_t 就是第 {below} 层的 h_t",
        "layer_input_caption": "第 {step} 个词“{token}”：第 {below} 层在这里的隐藏状态（共 {count} 个数），"
                               "就是第 {number} 层这一步的输入 x_t。",
        "layer_input_source": "来自",
        "layer_input_value": "值",
        "prefix_note": "双向模型在每个词上的判断不是“读到这个词时的输出”：它的反向一半读过了整段文字。"
                       "这里画的是“如果文字在这里结束，它会怎么判断”：对每个前缀各跑一遍（批量计算）。"
                       "只算前 {limit} 个词；之后的部分标为未计算，最后一点是整段文字的判断。",
        "compare_shapes_heading": "同一种单元，不同结构",
        "compare_shapes_caption": "单层、两层和双向的 {cell} 读同一段文字：它们的判断、每个词上的曲线，"
                                  "以及所选层和方向的状态。",
        "compare_shapes_cell": "单元",
        "faithful_position": "{model}（检查了 {layers} 层 × {directions} 个方向）",
        "curve_position": "{model}（第 {number} 层，{direction}）",
        "depth_curve": "{model}：穿过各层",
        "whatif_above": "第 {number} 层的改动会传到上面的层：下面也画出了每个更高层的隐藏状态变化。",
        "depth_caption": "“穿过各层”那条线：从最上层最后的状态，到每个词在第 1 层的状态。梯度既要往回走过这些词，"
                         "也要往下走过每一层。",
    },
    "en": {
        "shape": "Model shape",
        "shape_help": "One layer, one way is the default. A two-layer model's layer 2 reads layer 1's hidden state; "
                      "a bidirectional model has a second half that reads from the text's end.",
        "shape_1layer": "one layer",
        "shape_2layer": "two layers",
        "shape_bi": "both ways",
        "name_1layer": "{cell}",
        "name_2layer": "2-layer {cell}",
        "name_bi": "bidirectional {cell}",
        "name_race": "memory-race {cell}",
        "layer": "Layer",
        "layer_value": "layer {number}",
        "direction": "Direction",
        "direction_0": "forward →",
        "direction_1": "backward ←",
        "backward_note": "The backward half reads from the text's end: its value at a token is its state after "
                         "reading from the last token back to this one. The maps keep the text's order, left to "
                         "right, so nothing needs reversing in your head; it read them right to left.",
        "upper_layer_note": "Layer {number} does not read the words: it reads layer {below}'s hidden state h at "
                            "the same token.",
        "layer_input_heading": "Layer {number}'s input x_t is layer {below}'s h_t",
        "layer_input_caption": "Token {step} (“{token}”): layer {below}'s hidden state here ({count} numbers) is "
                               "layer {number}'s input x_t at this step.",
        "layer_input_source": "from",
        "layer_input_value": "value",
        "prefix_note": "A bidirectional model's answer at a token is not “its output after this token”: its backward "
                       "half has read the whole text. Drawn here is what it would say if the text ended there, from "
                       "one run per prefix (batched). Only the first {limit} tokens are computed; the rest is marked "
                       "not computed, and the last point is the whole text's answer.",
        "compare_shapes_heading": "One cell, different shapes",
        "compare_shapes_caption": "One-layer, two-layer and bidirectional {cell} on the same text: their answers, "
                                  "the curves after each token, and the state of the chosen layer and direction.",
        "compare_shapes_cell": "Cell",
        "faithful_position": "{model} (checked: {layers} layer(s) × {directions} direction(s))",
        "curve_position": "{model} (layer {number}, {direction})",
        "depth_curve": "{model}: through depth",
        "whatif_above": "An edit in layer {number} reaches the layers above: the change in each higher layer's hidden "
                        "state is drawn below too.",
        "depth_caption": "The “through depth” line runs from the top layer's last state down to each token's "
                         "state in layer 1: the gradient goes back over the tokens and down through every layer.",
    },
}


def text(lang: str, key: str, **fmt: object) -> str:
    """The string ``key`` in ``lang`` (falls back to Chinese), formatted with ``fmt``."""
    template = STRINGS.get(lang, STRINGS[DEFAULT_LANG])[key]
    return template.format(**fmt) if fmt else template


def shape_of(name: str) -> str:
    """The SHAPES value of a model name: "lstm" -> "1layer", "gru_bi" -> "bi"."""
    parsed = parse_name(name)
    return "bi" if parsed.bidirectional else "2layer" if parsed.num_layers == 2 else "1layer"


def name_of(cell: str, shape: str) -> str:
    """The model name of ``cell`` in ``shape``: ("lstm", "bi") -> "lstm_bi"."""
    return f"{cell}{_SUFFIX[shape]}"


def model_name(lang: str, name: str) -> str:
    """A model for a reader: "LSTM", "两层 LSTM", "bidirectional GRU"."""
    parsed = parse_name(name)
    if parsed.task == "race":
        return text(lang, "name_race", cell=CELL_NAMES[parsed.cell])
    return text(lang, f"name_{shape_of(name)}", cell=CELL_NAMES[parsed.cell])
