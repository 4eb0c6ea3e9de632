"""Rendering a pack's document: an SVG SPC chart per indicator, HTML (jinja2) and PDF
(typst, from the same document passed as JSON). Nothing here reads a clock, a file or the
network: the same document gives the same bytes.

The chart draws the published points, the SPC mean and limits of the latest point's
segment, the link's target and the latest England benchmark; each point is labelled with
its value, so the chart's data can be read back from the PDF.

What costs and does not change the bytes is done once per process: a chart is drawn once
for the HTML and the PDF of a pack (and for any later pack whose chart is the same), and
the last few packs' HTML and PDF are kept by their document's SHA-256, so reading a pack
again (every board member opening it) does not typeset it again. :func:`html` and
:func:`pdf` themselves always render afresh; :func:`html_of` and :func:`pdf_of` answer
from the kept ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
import typst

HERE = Path(__file__).parent
W, H, PAD = 640, 260, 40
#: how many charts (a few KB each) and rendered packs (HTML ~0.4 MB, PDF ~0.8 MB) are kept
CHARTS_KEPT, PACKS_KEPT = 512, 8


def _num(text: str | None) -> float | None:
    return None if text is None else float(Decimal(text))


def chart_svg(chart: dict[str, Any]) -> str:
    """The chart's SVG, drawn once per process for the same chart."""
    return _chart_svg(json.dumps(chart, sort_keys=True))


@lru_cache(maxsize=CHARTS_KEPT)
def _chart_svg(key: str) -> str:
    return _draw(json.loads(key))


def _draw(chart: dict[str, Any]) -> str:
    points = chart["points"]
    values = [_num(p["value"]) for p in points]
    latest = points[-1] if points else {}
    lines = {
        "mean": _num(latest.get("mean")),
        "upper limit": _num(latest.get("upper")),
        "lower limit": _num(latest.get("lower")),
        "target": _num(chart.get("target")),
        "benchmark (England)": _num(chart.get("benchmark")),
    }
    every = [v for v in [*values, *lines.values()] if v is not None]
    low, high = (min(every), max(every)) if every else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low

    def y(v: float) -> float:
        return round(H - PAD - (v - low) / span * (H - 2 * PAD), 2)

    def x(i: int) -> float:
        step = (W - 2 * PAD) / max(len(points) - 1, 1)
        return round(PAD + i * step, 2)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif">',
        f'<text x="{PAD}" y="16" font-size="12">{escape(chart["indicator"])}: '
        f"{escape(chart['name'])}</text>",
    ]
    styles = {
        "mean": "#555555",
        "upper limit": "#999999",
        "lower limit": "#999999",
        "target": "#1a7f37",
        "benchmark (England)": "#1f4e9c",
    }
    for name, v in lines.items():
        if v is None:
            continue
        out.append(
            f'<line x1="{PAD}" y1="{y(v)}" x2="{W - PAD}" y2="{y(v)}" '
            f'stroke="{styles[name]}" stroke-dasharray="4 3"/>'
        )
        out.append(f'<text x="{W - PAD + 2}" y="{y(v)}" font-size="7">{escape(name)}</text>')
    drawn = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
    if drawn:
        path = " ".join(f"{a},{b}" for a, b in drawn)
        out.append(f'<polyline points="{path}" fill="none" stroke="#000000"/>')
    for i, p in enumerate(points):
        v = values[i]
        if v is None:
            continue
        colour = "#d1242f" if p["signals"] else "#000000"
        out.append(f'<circle cx="{x(i)}" cy="{y(v)}" r="2.5" fill="{colour}"/>')
        out.append(
            f'<text x="{x(i)}" y="{round(y(v) - 5, 2)}" font-size="6" '
            f'text-anchor="middle">{escape(p["value"])}</text>'
        )
    if points:
        out.append(
            f'<text x="{PAD}" y="{H - 8}" font-size="8">{escape(points[0]["period"])}</text>'
        )
        out.append(
            f'<text x="{W - PAD}" y="{H - 8}" font-size="8" text-anchor="end">'
            f"{escape(points[-1]['period'])}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def html(document: dict[str, Any]) -> bytes:
    charts = [(c, chart_svg(c)) for c in document["charts"]]
    text = _environment().get_template("pack.html.j2").render(d=document, charts=charts)
    return text.encode()


@cache
def _typst_source() -> bytes:
    return (HERE / "templates" / "pack.typ").read_bytes()


def pdf(document: dict[str, Any]) -> bytes:
    data = dict(document)
    data["svgs"] = [chart_svg(c) for c in document["charts"]]
    out: bytes = typst.compile(
        _typst_source(),
        format="pdf",
        sys_inputs={"data": json.dumps(data, sort_keys=True)},
        ignore_system_fonts=True,
    )
    return out


def _key(document: dict[str, Any]) -> str:
    """The document's SHA-256 as it is laid out (a tenth of the canonical digest's cost; the
    same document laid out another way only misses)."""
    return hashlib.sha256(json.dumps(document, separators=(",", ":")).encode()).hexdigest()


class _Kept:
    """The last few rendered packs by (kind, document's SHA-256); threads share it (the PDF is
    rendered in the thread pool). Two readers of a pack not yet kept may both render it:
    the bytes are the same."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, kind: str, document: dict[str, Any], make: Callable[[dict[str, Any]], bytes]
    ) -> bytes:
        key = (kind, _key(document))
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found
        out = make(document)
        with self._lock:
            self._found[key] = out
            self._found.move_to_end(key)
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return out

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


KEPT = _Kept(PACKS_KEPT)


def html_of(document: dict[str, Any]) -> bytes:
    """:func:`html`, kept for the next reader of the same document."""
    return KEPT.get("html", document, html)


def pdf_of(document: dict[str, Any]) -> bytes:
    """:func:`pdf`, kept for the next reader of the same document."""
    return KEPT.get("pdf", document, pdf)


def forget() -> None:
    """Drop every kept chart and pack (benchmarks measure a cold render)."""
    _chart_svg.cache_clear()
    KEPT.clear()
