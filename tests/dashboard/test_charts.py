"""The SVG chart module: pure, its structure asserted exactly."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from catalog_service.dashboard.charts import (
    HEIGHT,
    MAX_X_LABELS,
    Series,
    line_chart,
    stacked_areas,
    stacked_bars,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def texts(root: ET.Element, cls: str) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text") if el.get("class") == cls]


def marks(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter() if el.get("class") == "mark"]


def test_equal_series_are_two_stacked_bands_never_one_line_hiding_the_other() -> None:
    # etl and vendor both at 3: as lines, one hid the other.
    labels = ["2026-03-02", "2026-03-09"]
    chart = stacked_areas("c0", "t", "d", labels, [Series("etl", (3, 3)), Series("vendor", (3, 3))])
    root = parse(chart.svg)
    bands = list(root.iter(f"{SVG}polygon"))
    assert len(bands) == 2
    assert len({band.get("fill") for band in bands}) == 2
    points = marks(root)
    assert len(points) == chart.marks == 4
    etl, vendor = (
        {float(p.get("cy", "")) for p in points[:2]},
        {float(p.get("cy", "")) for p in points[2:]},
    )
    assert len(etl) == len(vendor) == 1 and etl != vendor  # vendor's edge sits on top of etl's
    assert [p.find(f"{SVG}title").text for p in points[2:]] == [  # type: ignore[union-attr]
        "vendor, 2026-03-02: 3",  # the series' own value, not the stacked total
        "vendor, 2026-03-09: 3",
    ]
    assert texts(root, "y-label")[-1] == "10"  # the axis reaches the total, 6
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    assert [el.text for el in legend.iter(f"{SVG}text")] == ["etl", "vendor"]


def test_a_line_chart_has_a_point_per_value_and_a_line_per_series() -> None:
    labels = ["2026-03-02", "2026-03-09", "2026-03-16"]
    chart = line_chart(
        "c1",
        "Manifests",
        "Valid manifests per week",
        labels,
        [Series("service", (1, 2, 3)), Series("vendor", (0, 0, 1))],
    )
    root = parse(chart.svg)
    assert root.get("id") == "c1" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Manifests"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Valid manifests per week"  # type: ignore[union-attr]
    points = marks(root)
    assert len(points) == chart.marks == 6
    assert {p.tag for p in points} == {f"{SVG}circle"}
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert [p.find(f"{SVG}title").text for p in points[:3]] == [  # type: ignore[union-attr]
        "service, 2026-03-02: 1",
        "service, 2026-03-09: 2",
        "service, 2026-03-16: 3",
    ]
    assert texts(root, "x-label") == labels
    assert texts(root, "y-label") == ["0", "1", "2", "3", "4", "5"]  # up to 5, the next nice top
    # The highest value sits higher (a smaller y) than the lowest.
    ys = [float(p.get("cy", "")) for p in points[:3]]
    assert ys[0] > ys[1] > ys[2]
    assert chart.table.columns == ("", "service", "vendor")
    assert chart.table.rows[2] == ("2026-03-16", "3", "1")
    assert not chart.empty


def test_stacked_bars_draw_a_segment_per_value_above_zero() -> None:
    chart = stacked_bars(
        "c2",
        "Pull requests",
        "Per week",
        ["w1", "w2", "w3"],
        [Series("autonomous", (2, 0, 5)), Series("platform team", (1, 0, 0))],
    )
    root = parse(chart.svg)
    bars = marks(root)
    assert len(bars) == chart.marks == 3
    assert [b.find(f"{SVG}title").text for b in bars] == [  # type: ignore[union-attr]
        "autonomous, w1: 2",
        "platform team, w1: 1",
        "autonomous, w3: 5",
    ]
    # Stacked: the second segment of w1 starts where the first ends.
    first, second = bars[0], bars[1]
    assert float(second.get("y", "")) + float(second.get("height", "")) == pytest.approx(
        float(first.get("y", ""))
    )
    assert texts(root, "y-label") == ["0", "1", "2", "3", "4", "5"]
    assert [t.text for t in root.find(f"{SVG}g[@class='legend']").iter(f"{SVG}text")] == [  # type: ignore[union-attr]
        "autonomous",
        "platform team",
    ]


def test_all_zero_is_empty_and_still_well_formed() -> None:
    chart = stacked_bars("c3", "Actions", "None", ["w1", "w2"], [Series("failed", (0, 0))])
    root = parse(chart.svg)
    assert chart.empty and chart.marks == 0 and not marks(root)
    assert texts(root, "y-label") == ["0", "1"]
    assert line_chart("c4", "t", "d", [], []).empty


def test_many_labels_are_thinned_and_text_is_escaped() -> None:
    labels = [f"d{i}" for i in range(53)]
    chart = line_chart("c5", "A <b> & c", "d", labels, [Series("x<y", tuple([1.0] * 53))])
    root = parse(chart.svg)
    shown = texts(root, "x-label")
    assert len(shown) <= MAX_X_LABELS and shown[0] == "d0"
    assert "A &lt;b&gt; &amp; c" in chart.svg and "x&lt;y" in chart.svg
    for point in marks(root):
        assert 0 <= float(point.get("cy", "")) <= HEIGHT


def test_values_and_labels_must_match() -> None:
    with pytest.raises(ValueError, match="2 values, 3 labels"):
        line_chart("c6", "t", "d", ["a", "b", "c"], [Series("s", (1, 2))])


def test_large_counts_get_round_ticks() -> None:
    chart = stacked_bars("c7", "t", "d", ["a"], [Series("s", (12_345,))])
    assert texts(parse(chart.svg), "y-label") == [
        "0",
        "4,000",
        "8,000",
        "12,000",
        "16,000",
        "20,000",
    ]
    assert re.search(r"s, a: 12,345", chart.svg)
