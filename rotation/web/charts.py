"""Bar charts drawn on the server as SVG: no chart library, nothing fetched from a CDN."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLOURS = ("#9aa5b1", "#2f6fb0", "#d9822b")
#: Each series' bar is BAR high; rows (one per label) are GAP apart; the bars start at TOP,
#: below the title and the legend.
BAR = 15
GAP = 10
TOP = 52
LABEL = 230
WIDTH = 720


def _short(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    for n, (name, _vs) in enumerate(series):
        x = LABEL + n * 130
        parts.append(
            f'<rect x="{x}" y="30" width="12" height="12" fill="{colours[n % len(colours)]}"/>'
        )
        parts.append(f'<text x="{x + 17}" y="41" class="chart-legend">{escape(name)}</text>')
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
