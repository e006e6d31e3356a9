"""Tiny server-rendered SVG line and bar charts (no JavaScript, no CDN).

Returns markup built only from numbers and our own translated labels; the caller marks
it safe. Every value is formatted as a number before it reaches the SVG text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 340, 140, 38, 8, 10, 24


def _frame(aria_label: str, safe_title: str, hi: float, lo: float) -> str:
    """The chart's opening, title, axes and the top and bottom of its scale (the labels
    given escaped)."""
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{aria_label}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{safe_title}</title>"
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{HEIGHT - PAD_B}" class="axis"/>'
        f'<line x1="{PAD_L}" y1="{HEIGHT - PAD_B}" x2="{WIDTH - PAD_R}" y2="{HEIGHT - PAD_B}" '
        f'class="axis"/>'
        f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end">{hi:.0f}</text>'
        f'<text x="{PAD_L - 4}" y="{HEIGHT - PAD_B}" text-anchor="end">{lo:.0f}</text>'
    )


def line_chart(
    points: Sequence[tuple[datetime, float]], title: str, unit: str,
    y_min: float | None = None, y_max: float | None = None,
) -> Markup:
    if len(points) < 2:
        return Markup("")
    xs = [p[0].timestamp() for p in points]
    ys = [p[1] for p in points]
    lo = min(ys) if y_min is None else min(y_min, min(ys))
    hi = max(ys) if y_max is None else max(y_max, max(ys))
    if hi - lo < 1e-9:
        hi = lo + 1.0
    x0, x1 = min(xs), max(xs)
    span = (x1 - x0) or 1.0
    inner_w = WIDTH - PAD_L - PAD_R
    inner_h = HEIGHT - PAD_T - PAD_B

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / span * inner_w

    def sy(y: float) -> float:
        return PAD_T + (1 - (y - lo) / (hi - lo)) * inner_h

    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))
    safe_title = escape(title)
    safe_unit = escape(unit)
    first = points[0][0].strftime("%m-%d")
    last = points[-1][0].strftime("%m-%d")
    latest = f"{ys[-1]:.1f}"
    svg = (
        _frame(f"{safe_title}: {latest} {safe_unit}", safe_title, hi, lo)
        + f'<text x="{PAD_L}" y="{HEIGHT - 6}">{first}</text>'
        f'<text x="{WIDTH - PAD_R}" y="{HEIGHT - 6}" text-anchor="end">{last}</text>'
        f'<polyline fill="none" class="series" points="{path}"/>'
        "</svg>"
    )
    return Markup(svg)  # noqa: S704 - numbers and escaped labels only


def bar_chart(bars: Sequence[tuple[str, float]], title: str, unit: str) -> Markup:
    """Vertical bars, one per (label, value), labels short (a year), values >= 0."""
    if not bars:
        return Markup("")
    hi = max(max(v for _label, v in bars), 1.0)
    inner_w = WIDTH - PAD_L - PAD_R
    inner_h = HEIGHT - PAD_T - PAD_B
    step = inner_w / len(bars)
    width = max(step * 0.7, 1.0)
    parts = []
    for i, (label, value) in enumerate(bars):
        h = value / hi * inner_h
        x = PAD_L + i * step + (step - width) / 2
        parts.append(
            f'<rect class="bar" fill="#0b4f8a" x="{x:.1f}" y="{PAD_T + inner_h - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value:.0f} {escape(unit)}</title></rect>'
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
            f"{escape(label)}</text>")
    safe_title = escape(title)
    svg = _frame(safe_title, safe_title, hi, 0.0) + "".join(parts) + "</svg>"
    return Markup(svg)  # noqa: S704 - numbers and escaped labels only
