"""Bar charts drawn on the server as SVG: no chart library, nothing fetched from a CDN."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

COLOURS = ("#9aa5b1", "#2f6fb0", "#d9822b")
ROW = 26
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
    plot = WIDTH - LABEL - 60
    bar = (ROW - 8) / max(1, len(series))
    height = 40 + ROW * len(labels) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for n, (name, _vs) in enumerate(series):
        x = LABEL + n * 130
        parts.append(f'<rect x="{x}" y="24" width="12" height="10" fill="{COLOURS[n % 3]}"/>')
        parts.append(f'<text x="{x + 16}" y="33" class="chart-legend">{escape(name)}</text>')
    for i, label in enumerate(labels):
        y = 40 + i * ROW
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + ROW / 2 + 4}" text-anchor="end" class="chart-label">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        for n, (_name, vs) in enumerate(series):
            v = vs[i]
            w = plot * v / top
            by = y + 4 + n * bar
            text = f"{v:.0%}" if percent else f"{v:g}"
            parts.append(
                f'<rect x="{LABEL}" y="{by:.1f}" width="{w:.1f}" height="{bar - 1:.1f}"'
                f' fill="{COLOURS[n % 3]}"><title>{escape(label)}：{text}</title></rect>'
            )
            parts.append(
                f'<text x="{LABEL + w + 4:.1f}" y="{by + bar - 3:.1f}" class="chart-value">'
                f"{text}</text>"
            )
    if line is not None:
        lx = LABEL + plot * line / top
        bottom = 40 + ROW * len(labels)
        parts.append(
            f'<line x1="{lx:.1f}" y1="38" x2="{lx:.1f}" y2="{bottom}" class="chart-line"/>'
            f'<text x="{lx:.1f}" y="{bottom + 16}" text-anchor="middle" class="chart-legend">'
            f"{escape(line_label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
