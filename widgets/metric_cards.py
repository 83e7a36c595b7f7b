"""Headline policy metrics (traffic-formats §4) as cards, each with its change against a reference run.

The numbers come from the simulation's ``summary()``; the widget only formats them. A reference
summary (e.g. the run before the thresholds were moved) adds a signed delta under each value.
Quality is always shown with its coverage, since uncovered requests are never imputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Callable, Mapping

import panel as pn
import param
from panel.viewable import Viewer

from policies.api import ms, percent, score, usd


@dataclass(frozen=True)
class Card:
    key: str  # summary key
    label: str
    fmt: Callable[[float], str]
    better: int  # +1: higher is better, -1: lower is better, 0: neither (colours the delta)
    note_key: str = ""  # a summary share shown under the value (e.g. quality coverage)


CARDS: tuple[Card, ...] = (
    Card("total_cost_usd", "Total cost", usd, -1, "cost_coverage"),
    Card("cost_per_1k_requests_usd", "Cost / 1k requests", usd, -1),
    Card("savings_vs_strongest", "Savings vs all-strongest", percent, +1),
    Card("savings_vs_default", "Savings vs all-default", percent, +1),
    Card("p50_latency_ms", "p50 latency", ms, -1, "latency_coverage"),
    Card("p95_latency_ms", "p95 latency", ms, -1),
    Card("mean_quality", "Mean quality", score, +1, "quality_coverage"),
    Card("quality_retained_vs_strongest", "Quality retained", percent, +1),
    Card("default_route_share", "Default-route share", percent, -1),
    # requests that named a configured model: the router passes them through, no decision evaluated
    Card("passthrough_share", "Passed through (named model)", percent, 0),
    Card("answered_by_router_share", "Answered by the router", percent, 0),
)


def _delta(card: Card, value: float, reference: Any) -> str:
    if reference is None or value == float(reference):
        return ""
    diff = value - float(reference)
    shown = card.fmt(abs(diff))
    if not any(digit in shown for digit in "123456789"):  # too small to show is no change: never a red zero
        return ""
    colour = "#57606a" if not card.better else "#1a7f37" if diff * card.better > 0 else "#cf222e"
    sign = "+" if diff > 0 else "−"
    return f'<div class="rs-delta" style="color:{colour};font-size:12px">{sign}{shown}</div>'


def card_html(card: Card, summary: Mapping[str, Any], reference: Mapping[str, Any]) -> str:
    """One card; ``data-metric`` names the summary key for tests and the browser."""
    value = summary.get(card.key)
    shown = "n/a" if value is None else card.fmt(float(value))
    delta = "" if value is None else _delta(card, float(value), reference.get(card.key))
    note = summary.get(card.note_key) if card.note_key else None
    note_html = f'<div style="font-size:11px;color:#57606a">coverage {note:.0%}</div>' if note is not None else ""
    return (f'<div class="rs-card" data-metric="{escape(card.key)}" style="padding:8px 12px;border:1px solid '
            f'#d0d7de;border-radius:6px;min-width:150px;background:#fff">'
            f'<div style="font-size:12px;color:#57606a">{escape(card.label)}</div>'
            f'<div class="rs-value" style="font-size:22px;font-weight:600">{escape(shown)}</div>'
            f'{delta}{note_html}</div>')


class MetricCards(Viewer):
    """Cards for ``summary``; deltas against ``reference`` when given."""

    summary = param.Dict(default=None, allow_None=True, doc="A simulation summary (metric → value).")
    reference = param.Dict(default=None, allow_None=True, doc="Summary to compare against (optional).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._pane = pn.pane.HTML(self.html(), sizing_mode="stretch_width")
        self.param.watch(lambda *_: setattr(self._pane, "object", self.html()), ["summary", "reference"])

    def values(self) -> dict[str, str]:
        """What each card shows, formatted (the view's text, for tests and notebooks)."""
        summary: Mapping[str, Any] = self.summary or {}
        return {c.key: "n/a" if summary.get(c.key) is None else c.fmt(float(summary[c.key])) for c in CARDS}

    def html(self) -> str:
        if not self.summary:
            return '<div class="rs-cards">No simulation yet.</div>'
        cards = "".join(card_html(c, self.summary, self.reference or {}) for c in CARDS)
        return f'<div class="rs-cards" style="display:flex;flex-wrap:wrap;gap:8px">{cards}</div>'

    def __panel__(self) -> pn.viewable.Viewable:
        return self._pane
