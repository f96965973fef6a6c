"""The seed texts the lessons read: the same strings as the page's one-click examples (ui/source.py EXAMPLES;
a test holds them equal), kept here so that lessons need no Streamlit."""
from __future__ import annotations

RESTAURANT = (  # the teaching material's long review: praise, then 但是, then complaints
    "我觉得这家餐馆的菜品很不错，烤鸭非常正宗，包子也不错，酱牛肉很有嚼劲，但是服务员态度太恶劣了，"
    "我们在门口等了50分钟都没有能成功进去，好不容易进去了，桌子也半天没人打扫，整个环境非常吵闹，"
    "我的孩子都被吓哭了，我下次不会带朋友来。"
)
DE = "我的老师的讲课的方式的确很好，我们的成绩的提高很明显。"
ORDER = ("张三非常生气，冲动之下打了李四", "李四非常生气，冲动之下打了张三")
CONNECTIVE = "但是"
