"""Charts as inline SVG, pure: a line chart, a stacked area chart and a stacked bar chart, with
axes and labels.

Each chart comes with a ``<title>`` and ``<desc>`` (what a screen reader announces) and the same
figures as a table (the text alternative the page shows beside it). The marks carry a class of
their own (``mark``) and a ``<title>`` with their value, so a test, or a reader hovering, can tell
each one. Nothing here reads a clock, a file or the network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 44  # room for the axes' labels
LEGEND_HEIGHT = 20
MAX_X_LABELS = 8
# Okabe and Ito's palette: told apart with the common colour-vision deficiencies, and in print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    colour: str | None = None  # else the palette's, by the series' place


@dataclass(frozen=True)
class Table:
    """The chart's figures: one row per label, one column per series."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    svg: str
    table: Table
    marks: int  # drawn marks (points or bar segments)
    empty: bool  # every value is zero: the page shows a message instead of the drawing


def line_chart(
    chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """One line per series, a point (the mark) per label."""
    _check(labels, series)
    top = _nice_top(max((v for s in series for v in s.values), default=0))
    parts: list[str] = []
    marks = 0
    for index, one in enumerate(series):
        colour = _colour(index, one)
        points = [(_x_centre(i, len(labels)), _y(v, top)) for i, v in enumerate(one.values)]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline class="line" fill="none" stroke="{colour}" points="{coords}"/>'
            )
        for (x, y), label, value in zip(points, labels, one.values, strict=True):
            parts.append(
                f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(one.name)}, {escape(label)}: {_number(value)}</title></circle>"
            )
            marks += 1
    return _chart(chart_id, title, desc, labels, series, top, parts, marks)


def stacked_areas(
    chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """One band per series, stacked on the ones before it, a point (the mark) on each band's top
    edge per label: two series of equal values are two bands, never one line hiding the other."""
    _check(labels, series)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    xs = [_x_centre(i, len(labels)) for i in range(len(labels))]
    base = [0.0] * len(labels)
    bands: list[str] = []
    points: list[str] = []
    for index, one in enumerate(series):
        colour = _colour(index, one)
        upper = [b + v for b, v in zip(base, one.values, strict=True)]
        if len(labels) > 1:
            edge = [f"{x:.1f},{_y(v, top):.1f}" for x, v in zip(xs, upper, strict=True)]
            under = [f"{x:.1f},{_y(v, top):.1f}" for x, v in zip(xs, base, strict=True)][::-1]
            bands.append(
                f'<polygon class="area" fill="{colour}" fill-opacity="0.35" stroke="{colour}"'
                f' points="{" ".join(edge + under)}"/>'
            )
        for x, value, total, label in zip(xs, one.values, upper, labels, strict=True):
            points.append(
                f'<circle class="mark" cx="{x:.1f}" cy="{_y(total, top):.1f}" r="3"'
                f' fill="{colour}"><title>{escape(one.name)}, {escape(label)}:'
                f" {_number(value)}</title></circle>"
            )
        base = upper
    return _chart(chart_id, title, desc, labels, series, top, bands + points, len(points))


def stacked_bars(
    chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """A bar per label, one segment (the mark) per series with a value above zero."""
    _check(labels, series)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_top(max(totals, default=0))
    slot = _plot_width() / max(len(labels), 1)
    width = max(slot * 0.7, 1.0)
    parts: list[str] = []
    marks = 0
    for i, label in enumerate(labels):
        base = 0.0
        x = _x_centre(i, len(labels)) - width / 2
        for index, one in enumerate(series):
            value = one.values[i]
            if value <= 0:
                continue
            y_top, y_base = _y(base + value, top), _y(base, top)
            parts.append(
                f'<rect class="mark" x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}"'
                f' height="{y_base - y_top:.1f}" fill="{_colour(index, one)}">'
                f"<title>{escape(one.name)}, {escape(label)}: {_number(value)}</title></rect>"
            )
            base += value
            marks += 1
    return _chart(chart_id, title, desc, labels, series, top, parts, marks)


# -- the frame: axes, labels, legend -----------------------------------------------------------


def _chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    top: float,
    marks_svg: list[str],
    marks: int,
) -> Chart:
    total_height = HEIGHT + LEGEND_HEIGHT
    svg = "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}"'
            f' viewBox="0 0 {WIDTH} {total_height}" role="img"'
            f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
            _axes(labels, top),
            f'<g class="marks">{"".join(marks_svg)}</g>',
            _legend(series),
            "</svg>",
        ]
    )
    table = Table(
        columns=("", *(s.name for s in series)),
        rows=tuple(
            (label, *(_number(s.values[i]) for s in series)) for i, label in enumerate(labels)
        ),
    )
    empty = all(v == 0 for s in series for v in s.values)
    return Chart(svg=svg, table=table, marks=marks, empty=empty)


def _axes(labels: Sequence[str], top: float) -> str:
    bottom_y = HEIGHT - BOTTOM
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom_y}" stroke="#555"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom_y}" x2="{WIDTH - RIGHT}" y2="{bottom_y}"'
        ' stroke="#555"/>',
    ]
    for tick in _ticks(top):
        y = _y(tick, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"'
            ' stroke="#ddd"/>'
            f'<text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(tick)}</text>"
        )
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for i in range(0, len(labels), step):
        x = _x_centre(i, len(labels))
        parts.append(
            f'<text class="x-label" x="{x:.1f}" y="{bottom_y + 16}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    return f'<g class="axes" font-size="11" fill="#333">{"".join(parts)}</g>'


def _legend(series: Sequence[Series]) -> str:
    parts = []
    x = float(LEFT)
    y = HEIGHT + 4
    for index, one in enumerate(series):
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{_colour(index, one)}"/>'
            f'<text x="{x + 14:.1f}" y="{y}">{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)  # about the width of an 11px label
    return f'<g class="legend" font-size="11" fill="#333">{"".join(parts)}</g>'


# -- scales ------------------------------------------------------------------------------------


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r}: {len(one.values)} values, {len(labels)} labels")


def _plot_width() -> float:
    return float(WIDTH - LEFT - RIGHT)


def _x_centre(index: int, count: int) -> float:
    slot = _plot_width() / max(count, 1)
    return LEFT + slot * (index + 0.5)


def _y(value: float, top: float) -> float:
    height = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - height * (value / top)


def _nice_top(largest: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at least ``largest`` (1 when all is 0)."""
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    for factor in (1, 2, 5, 10):
        if factor * power >= largest:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _ticks(top: float) -> list[float]:
    """From 0 to the top in even whole steps (counts have no fractions)."""
    whole = int(top)
    steps = next(n for n in (5, 4, 2, 1) if whole % n == 0)
    return [float(whole // steps * i) for i in range(steps + 1)]


def _colour(index: int, series: Series) -> str:
    return series.colour or PALETTE[index % len(PALETTE)]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value):,}"
