"""Charts drawn server-side as inline SVG: stacked bars and lines, no script and nothing from the network.

Every text (labels, series names, tooltips) goes through markupsafe's escape; the numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 58  # room for the y axis, the x labels and the legend


@dataclass(frozen=True)
class Series:
    """One named, coloured row of values, one per x label."""

    name: str
    colour: str
    values: Sequence[float]


def _nice_max(value: float) -> float:
    """A round top for the y axis (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= step * factor:
            return step * factor
    return step * 10  # pragma: no cover - the loop always returns


def _divisions(top: float) -> int:
    """Grid lines that fall on round numbers: 1 2 5 10 20 50 … split in 1, 2, 5, 5, 4, 5 … parts."""
    if top < 5:
        return max(int(top), 1)
    return 4 if f"{top:g}".startswith("2") else 5


def _num(value: float) -> str:
    return f"{value:g}"


def _frame(title: str, labels: Sequence[str], top: float, kind: str) -> list[str]:
    """The svg element, its title, the y grid with its numbers and the x labels."""
    plot_h = HEIGHT - TOP - BOTTOM
    # inline in HTML5: no xmlns needed, so that no page carries an http:// address of its own
    parts = [
        f'<svg class="chart" data-chart="{escape(kind)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        + f"<title>{escape(title)}</title>"
    ]
    parts_count = _divisions(top)
    for i in range(parts_count + 1):
        value = top * i / parts_count
        y = TOP + plot_h - plot_h * i / parts_count
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" class="ylab">{escape(_num(value))}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    every = max(1, len(labels) // 10)  # at most about ten x labels, so that they stay readable
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = LEFT + slot * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" class="xlab">{escape(label)}</text>')
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    x = LEFT
    for s in series:
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 20}" width="10" height="10" fill="{escape(s.colour)}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 11}" class="legend">{escape(s.name)}</text>'
        )
        x += 30 + 15 * len(s.name)
    return parts


def stacked_bars(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Bars stacked per x label (sites by verdict per run, findings by kind per run, a distribution)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar = max(slot * 0.7, 1.0)
    parts = _frame(title, labels, top, "bars")
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        base: float = TOP + plot_h
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{escape(s.colour)}"><title>{escape(label)} · {escape(s.name)}: '
                f"{escape(_num(value))}</title></rect>"
            )
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def lines(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """One polyline per series, with a dot per point (deduction per run)."""
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts = _frame(title, labels, top, "lines")
    for s in series:
        points = [
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * value / top) for i, value in enumerate(s.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{escape(s.colour)}"/>')
        for (x, y), label, value in zip(points, labels, s.values, strict=True):
            parts.append(
                f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{escape(s.colour)}">'
                f"<title>{escape(label)} · {escape(s.name)}: {escape(_num(value))}</title></circle>"
            )
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
