"""Headline policy metrics (traffic-formats §4) as cards, each with its change against a reference run.

The numbers come from the simulation's ``summary``; the widget only formats them. A reference
result (e.g. the run before the thresholds were moved) adds a signed delta under each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Callable, Mapping

import panel as pn
import param
from panel.viewable import Viewer


@dataclass(frozen=True)
class Card:
    key: str  # summary key
    label: str
    fmt: Callable[[float], str]
    better: int  # +1: higher is better, -1: lower is better (colours the delta)


def _usd(v: float) -> str:
    return f"${v:,.2f}" if abs(v) >= 1 else f"${v:,.4f}"


def _pct(v: float) -> str:
    return f"{v:.1%}"


def _ms(v: float) -> str:
    return f"{v:,.0f} ms"


def _num(v: float) -> str:
    return f"{v:.3f}"


CARDS: tuple[Card, ...] = (
    Card("total_cost", "Total cost", _usd, -1),
    Card("cost_per_1k", "Cost / 1k requests", _usd, -1),
    Card("savings_vs_strongest", "Savings vs all-strongest", _pct, +1),
    Card("savings_vs_logged", "Savings vs logged routing", _pct, +1),
    Card("p50_latency_ms", "p50 latency", _ms, -1),
    Card("p95_latency_ms", "p95 latency", _ms, -1),
    Card("mean_quality", "Mean quality", _num, +1),
    Card("quality_retained", "Quality retained", _pct, +1),
    Card("default_share", "Default-route share", _pct, -1),
)


def card_html(card: Card, value: Any, reference: Any) -> str:
    """One card; ``data-metric`` lets tests and the browser read the raw key."""
    shown = "n/a" if value is None else card.fmt(float(value))
    delta = ""
    if value is not None and reference is not None and float(value) != float(reference):
        diff = float(value) - float(reference)
        good = diff * card.better > 0
        sign = "+" if diff > 0 else "−"
        colour = "#1a7f37" if good else "#cf222e"
        delta = f'<div class="rs-delta" style="color:{colour}">{sign}{card.fmt(abs(diff))}</div>'
    return (f'<div class="rs-card" data-metric="{escape(card.key)}" style="padding:8px 12px;border:1px solid '
            f'#d0d7de;border-radius:6px;min-width:150px;background:#fff">'
            f'<div style="font-size:12px;color:#57606a">{escape(card.label)}</div>'
            f'<div class="rs-value" style="font-size:22px;font-weight:600">{escape(shown)}</div>{delta}</div>')


class MetricCards(Viewer):
    """Cards for ``summary``; deltas against ``reference`` when given."""

    summary = param.Dict(default=None, allow_None=True, doc="The simulation summary (metric → value).")
    reference = param.Dict(default=None, allow_None=True, doc="Summary to compare against (optional).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._pane = pn.pane.HTML(self.html(), sizing_mode="stretch_width")
        self.param.watch(lambda *_: setattr(self._pane, "object", self.html()), ["summary", "reference"])

    def values(self) -> dict[str, Any]:
        """What each card shows, formatted (the view's text, for tests and notebooks)."""
        summary: Mapping[str, Any] = self.summary or {}
        return {c.key: "n/a" if summary.get(c.key) is None else c.fmt(float(summary[c.key])) for c in CARDS}

    def html(self) -> str:
        if not self.summary:
            return '<div class="rs-cards">No simulation yet.</div>'
        reference = self.reference or {}
        cards = "".join(card_html(c, self.summary.get(c.key), reference.get(c.key)) for c in CARDS)
        return f'<div class="rs-cards" style="display:flex;flex-wrap:wrap;gap:8px">{cards}</div>'

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
