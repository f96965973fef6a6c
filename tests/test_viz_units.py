"""viz.units: the ranking bars with the shuffled baseline, the tinted text, the sentiment unit's histogram; data
functions checked with numpy, then the figure objects."""
from __future__ import annotations

import numpy as np

from viz.units import (
    MAX_ALPHA,
    NEGATIVE_RGB,
    POSITIVE_RGB,
    ranking_bars,
    ranking_data,
    ranking_rows,
    sentiment_histogram,
    sentiment_values_data,
    tint_data,
    tinted_html,
)

ENTRY = {"top": [[17, -0.6], [3, 0.3], [40, 0.05]], "baseline": 0.1, "steps": 900}


def test_ranking_data_keeps_the_order_and_the_rows_give_the_ratio_to_the_baseline():
    data = ranking_data(ENTRY, count=2)
    assert data.units.tolist() == [17, 3] and data.r.tolist() == [-0.6, 0.3]
    assert data.baseline == 0.1 and data.steps == 900
    rows = ranking_rows(data)
    assert [row[:3] for row in rows] == [(1, 17, -0.6), (2, 3, 0.3)]
    np.testing.assert_allclose([row[3] for row in rows], [6.0, 3.0])
    assert ranking_rows(ranking_data({**ENTRY, "baseline": 0.0}))[0][3] == np.inf
    assert len(ranking_data(None).units) == 0


def test_ranking_bars_draw_r_per_unit_and_the_baseline_both_ways():
    fig = ranking_bars(ranking_data(ENTRY), prop="in brackets", state="c", highlight=3)
    bars = fig.data[0]
    np.testing.assert_allclose(np.asarray(bars.y, dtype=float), [-0.6, 0.3, 0.05])
    assert list(fig.layout.xaxis.ticktext) == ["unit 17", "unit 3", "unit 40"]
    assert list(bars.marker.line.width) == [0, 3, 0]  # the unit shown is outlined
    assert bars.marker.color[0].startswith(f"rgba({NEGATIVE_RGB[0]},") and bars.marker.color[1].startswith(
        f"rgba({POSITIVE_RGB[0]},")
    baseline = fig.data[1]
    assert list(baseline.y) == [0.1, 0.1, None, -0.1, -0.1] and baseline.line.dash == "dash"
    assert list(baseline.x) == [-0.5, 2.5, None, -0.5, 2.5] and "0.100" in baseline.name
    assert "in brackets" in fig.layout.title.text
    empty = ranking_bars(ranking_data(None), labels={"no_ranking": "没有排名"})
    assert not empty.data and "没有排名" in empty.layout.title.text


def test_tint_is_red_above_zero_blue_below_and_deepest_at_the_limit():
    data = tint_data(["a", "b", "c", "d"], np.array([1.0, -0.5, 0.0, 3.0]), np.array([0.0, 2.0, 1.0, np.nan]),
                     limit=1.0)
    assert data.colours[0] == f"rgba({POSITIVE_RGB[0]},{POSITIVE_RGB[1]},{POSITIVE_RGB[2]},{MAX_ALPHA:.3f})"
    assert data.colours[1] == f"rgba({NEGATIVE_RGB[0]},{NEGATIVE_RGB[1]},{NEGATIVE_RGB[2]},{MAX_ALPHA / 2:.3f})"
    assert data.colours[2].endswith(",0.000)") and data.colours[3] == data.colours[0]  # beyond the limit: deepest
    assert data.marks.tolist() == [0.0, 1.0, 0.5, 0.0]  # the property scaled to its largest value, NaN as 0
    assert tint_data(["a"], np.array([-2.0]), np.array([0.0])).limit == 2.0  # default limit: the largest |value|


def test_tinted_html_escapes_the_text_and_underlines_where_the_property_holds():
    html = tinted_html(tint_data(["<b>", "好"], np.array([0.5, -0.5]), np.array([0.0, 1.0])))
    assert "&lt;b&gt;" in html and "<b>" not in html
    first, second = html.split("</span>")[:2]
    assert "solid transparent" in first and "solid rgba(0,0,0,1.000)" in second


def test_sentiment_values_split_by_label_and_scored_by_the_units_rule():
    values, labels = np.array([0.9, 0.2, -0.4, -0.8, 0.1]), np.array([1, 1, 0, 0, 0])
    data = sentiment_values_data(values, labels, threshold=0.15, above=1)
    assert data.positive.tolist() == [0.9, 0.2] and data.negative.tolist() == [-0.4, -0.8, 0.1]
    assert data.accuracy == 1.0
    assert sentiment_values_data(values, labels, threshold=0.15, above=0).accuracy == 0.0
    fig = sentiment_histogram(data, model="LSTM", state="c", unit=7)
    assert [len(trace.x) for trace in fig.data] == [2, 3] and fig.layout.barmode == "overlay"
    assert fig.layout.shapes[0].x0 == 0.15 and "unit 7" in fig.layout.title.text
    assert not sentiment_histogram(sentiment_values_data(np.zeros(0), np.zeros(0), 0.0, 1)).data


def test_the_hover_gives_the_property_itself_not_its_scaled_mark():
    labels = {"hover_tint": "value {value:.2f}, property {prop}"}
    html = tinted_html(tint_data(["a", "b", "c"], np.array([0.1, 0.2, 0.3]), np.array([3.0, 7.0, np.nan])),
                       labels=labels)
    assert 'title="value 0.10, property 3"' in html and 'title="value 0.20, property 7"' in html
    assert 'title="value 0.30, property —"' in html
