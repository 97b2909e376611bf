"""Bar and line charts drawn on the server as SVG: no chart library, nothing fetched from a
CDN."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLOURS = (
    "#9aa5b1",
    "#2f6fb0",
    "#d9822b",
    "#1b7f3b",
    "#8e44ad",
    "#b3261e",
    "#16a2b8",
    "#6d4c41",
    "#c2185b",
)
#: Each series' bar is BAR high; rows (one per label) are GAP apart; the bars start at TOP,
#: below the title and the legend.
BAR = 15
GAP = 10
TOP = 52
LABEL = 230
WIDTH = 720


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_width(text: str) -> float:
    """Roughly how wide a legend's text is drawn (CJK glyphs twice as wide as Latin ones)."""
    return sum(14.0 if ord(c) >= 0x2E80 else 7.5 for c in text)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    percent: bool = False,
    line: float | None = None,
    line_label: str = "",
) -> Markup:
    """Horizontal bars, one row per label and one bar per series; an optional vertical line
    (a policy minimum) across all rows."""
    values = [v for _name, vs in series for v in vs]
    top = float(max([*values, line or 0.0, 1e-9]))
    if percent:
        top = max(top, 0.01)
    # A lone series is the value itself (blue); with several, the first is the reference (grey).
    colours = COLOURS if len(series) > 1 else COLOURS[1:]
    plot = WIDTH - LABEL - 60
    row = GAP + BAR * max(1, len(series))
    bottom = TOP + row * len(labels)
    height = bottom + (24 if line is not None else 8)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    x = LABEL if len(series) <= 3 else 0  # many series (scenarios): the whole width
    for n, (name, _vs) in enumerate(series):
        if n:
            x += max(130, 30 + round(_text_width(_short(series[n - 1][0], 12))))
        parts.append(
            f'<rect x="{x}" y="30" width="12" height="12" fill="{colours[n % len(colours)]}"/>'
        )
        parts.append(
            f'<text x="{x + 17}" y="41" class="chart-legend">{escape(_short(name, 12))}</text>'
        )
    for i, label in enumerate(labels):
        y = TOP + i * row
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + row / 2 + 5}" text-anchor="end" class="chart-label">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        for n, (_name, vs) in enumerate(series):
            v = vs[i]
            w = plot * v / top
            by = y + GAP / 2 + n * BAR
            text = f"{v:.0%}" if percent else f"{v:g}"
            parts.append(
                f'<rect x="{LABEL}" y="{by:.1f}" width="{w:.1f}" height="{BAR - 2}"'
                f' fill="{colours[n % len(colours)]}"><title>{escape(label)}：{text}</title></rect>'
            )
            parts.append(
                f'<text x="{LABEL + w + 5:.1f}" y="{by + BAR - 4:.1f}" class="chart-value">'
                f"{text}</text>"
            )
    if line is not None:
        lx = LABEL + plot * line / top
        parts.append(
            f'<line x1="{lx:.1f}" y1="{TOP - 2}" x2="{lx:.1f}" y2="{bottom}" class="chart-line"/>'
            f'<text x="{lx:.1f}" y="{bottom + 16}" text-anchor="middle" class="chart-legend">'
            f"{escape(line_label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(series_names: Sequence[str], colours: Sequence[str], top: int) -> list[str]:
    """Legend entries, wrapped over as many rows as they need; SVG parts."""
    parts = []
    x, y = 60, top
    for n, name in enumerate(series_names):
        width = 30 + 15 * len(_short(name, 20))
        if x + width > WIDTH and x > 60:
            x, y = 60, y + 18
        colour = colours[n % len(colours)]
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 17}" y="{y + 1}" class="chart-legend">{escape(_short(name, 20))}</text>'
        )
        x += width
    return parts


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`: grid lines at round values."""
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999))


def _decimals(step: float) -> int:
    """Decimals that tell grid values `step` apart."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    percent: bool = False,
) -> Markup:
    """One line per series over the labels (school years, say); a missing value breaks the
    line (a scenario whose simulation stopped)."""
    colours = COLOURS[1:]
    legend_rows = 1 + sum(15 * len(_short(n, 20)) + 30 for n, _v in series) // (WIDTH - 80)
    top = 40 + 18 * legend_rows
    left, right, plot_height = 64, 24, 220
    bottom = top + plot_height
    height = bottom + 34
    values = [float(v) for _n, vs in series for v in vs if v is not None]
    low = min([*values, 0.0])
    tick = _nice_step((max([*values, 0.0]) - low) / 4 or (0.01 if percent else 1.0))
    high = low + tick * max(1, math.ceil((max([*values, low]) - low) / tick + 0.05))
    width = WIDTH - left - right
    step = width / max(1, len(labels) - 1) if len(labels) > 1 else 0.0

    def x_of(i: int) -> float:
        return left + (step * i if len(labels) > 1 else width / 2)

    def y_of(v: float) -> float:
        return bottom - plot_height * (v - low) / (high - low)

    def text(v: float) -> str:
        return f"{v:.1%}" if percent else f"{v:g}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
        *_legend([n for n, _v in series], colours, 42),
    ]
    ticks = round((high - low) / tick)
    for k in range(ticks + 1):  # horizontal grid lines with their values
        value = low + tick * k
        y = y_of(value)
        shown = f"{value:g}"
        if percent:
            shown = f"{value * 100:.{_decimals(tick * 100)}f}%"
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
            f"{shown}</text>"
        )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{x_of(i):.1f}" y="{bottom + 20}" text-anchor="middle" class="chart-axis">'
            f"{escape(label)}</text>"
        )
    for n, (name, vs) in enumerate(series):
        colour = colours[n % len(colours)]
        runs: list[list[str]] = [[]]
        for i, point in enumerate(vs):
            if point is None:
                runs.append([])
                continue
            v = float(point)
            runs[-1].append(f"{x_of(i):.1f},{y_of(v):.1f}")
            parts.append(
                f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}：{text(v)}</title></circle>"
            )
        for points in runs:
            if len(points) > 1:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}"'
                    ' stroke-width="2"/>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))
