"""Why one request routed where it did: signals vs thresholds, rule trees with truth values,
the ranking of matching decisions, and the smallest threshold change that would re-route it.

Everything comes from the engine's :func:`policies.simulation.explain.explain`; this widget only
lays it out.
"""

from __future__ import annotations

from html import escape
from typing import Any

import panel as pn
import param
import polars as pl
from panel.viewable import Viewer

from policies.api import (Explanation, Flip, Policy, PolicyError, RouteResult, Simulator, describe_evidence, explain,
                          explain_text, score)

from .markdown_text import md_text
from .simulators import Simulators


def describe_flip(flip: Flip | None) -> str:
    if flip is None:
        return "no single threshold change re-routes this request."
    return (f"{flip.signal}.{flip.field} {score(flip.current)} → {score(flip.value)} routes it to "
            f"'{flip.winner or 'default model'}'")


def signals_frame(found: Explanation) -> pl.DataFrame:
    """One row per signal leaf: fired, score and threshold with three decimals (``n/a`` where there is
    none, never a mix of ``0.279454``, ``0.0`` and ``-``), why it did not fire, and what it fired on
    (PII: each entity's type, words and score)."""
    return pl.DataFrame([{"signal": s["leaf"], "fired": "✓" if s["fired"] else "✗", "score": score(s["conf"]),
                          "threshold": score(s["threshold"]), "why not": s.get("why_not") or "",
                          "found": "; ".join(describe_evidence(e) for e in s.get("evidence", []))}
                         for s in found.signals],
                        schema={k: pl.String for k in ("signal", "fired", "score", "threshold", "why not", "found")})


def _tree_html(route_result: RouteResult) -> str:
    blocks = []
    for name, tree in route_result.trees.items():
        colour = "#1a7f37" if tree.value else "#57606a"
        blocks.append(f'<div class="rs-tree"><b style="color:{colour}">{escape(name)}</b>'
                      f'<pre style="margin:2px 0 8px 0">{escape(tree.describe())}</pre></div>')
    return "".join(blocks) or "<em>No decisions.</em>"


def _ranking_frame(route_result: RouteResult) -> pl.DataFrame:
    return pl.DataFrame([{"rank": i + 1, "decision": c.decision.name, "tier": c.decision.effective_tier,
                          "priority": c.decision.effective_priority, "confidence": score(c.confidence)}
                         for i, c in enumerate(route_result.ranked)],
                        schema={"rank": pl.Int64, "decision": pl.String, "tier": pl.Int64, "priority": pl.Int64,
                                "confidence": pl.String})


class RequestExplanation(Viewer):
    """Explains ``request_id`` of ``simulator``'s traffic under ``policy``."""

    policy = param.ClassSelector(class_=Policy, allow_None=True, doc="The policy (as tuned) that routed it.")
    simulator = param.ClassSelector(class_=Simulator, allow_None=True, doc="Holds the traffic and cached scores.")
    request_id = param.String(default=None, allow_None=True)
    prompt = param.String(default="", doc="The request's text; without a simulator it is explained alone.")
    context = param.Parameter(default=None, doc="Models and memoised scores a prompt alone is explained with "
                              "(in the studio the latest simulation's); None: loaded for each prompt.")
    explanation = param.ClassSelector(class_=Explanation, allow_None=True, constant=True)

    def __init__(self, **params: Any):
        super().__init__(**params)
        # HTML, not Markdown: the prompt is the user's text, and a ``` or # in it must show as written
        # (an unclosed fence turned the rest of the explanation into a code block).
        self._head = pn.pane.HTML(sizing_mode="stretch_width")
        self._signals = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width",
                                             layout="fit_data_stretch")
        self._trees = pn.pane.HTML(sizing_mode="stretch_width")
        self._ranking = pn.widgets.Tabulator(disabled=True, show_index=False, sizing_mode="stretch_width")
        self._flip = pn.pane.Markdown(sizing_mode="stretch_width")
        self._body = pn.Column("#### Signals vs thresholds", self._signals, "#### Rule trees", self._trees,
                               "#### Ranking of matching decisions", self._ranking, self._flip,
                               sizing_mode="stretch_width", visible=False)
        self.param.watch(self._refresh, ["policy", "simulator", "request_id", "prompt", "context"])
        self._refresh()

    def _explain(self) -> tuple[Explanation | None, str]:
        try:
            if self.policy is not None and self.simulator is None and self.prompt.strip():
                return explain_text(self.policy, self.prompt, context=self.context), ""
            if self.simulator is None or self.policy is None or not self.request_id:
                return None, "Click a request (or type a prompt) to see why it routes where it does."
            return explain(self.simulator, self.policy, self.request_id), ""
        except KeyError as exc:
            return None, str(exc.args[0])  # escaped once, where it is shown
        except PolicyError as exc:  # e.g. a model that cannot load: the tab says which file, never breaks
            return None, str(exc)

    def _refresh(self, *_events: Any) -> None:
        found, message = self._explain()
        with param.edit_constant(self):
            self.explanation = found
        # a passthrough request has no signals, trees or ranking: the router evaluated none
        self._body.visible = found is not None and not found.passthrough
        if found is None:
            self._head.object = f"<p>{escape(message)}</p>"
            return
        prompt = (f"<blockquote class='rs-prompt' style='white-space: pre-wrap'>{escape(self.prompt[:400])}</blockquote>"
                  if self.prompt else "")
        note = found.route_note()
        route = f"<p class='rs-route'>Route: {escape(note)}</p>" if note else ""
        missing = "".join(f"<p>⚠ <code>{escape(k)}</code> unavailable: {escape(v)}</p>" for k, v in found.notes.items())
        self._head.object = (f"<h3>Request <code>{escape(str(found.request_id))}</code></h3>{prompt}"
                             f"<p>Decision <b>{escape(found.label)}</b> → model "
                             f"<b>{escape(str(found.model))}</b> (decided by {escape(str(found.route.decided_by))})</p>"
                             f"{route}{missing}")
        if found.passthrough:
            return
        self._signals.value = signals_frame(found).to_pandas()
        self._trees.object = _tree_html(found.route)
        self._ranking.value = _ranking_frame(found.route).to_pandas()
        self._flip.object = "**Smallest flip:** " + md_text(describe_flip(found.flip))

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self._head, self._body, sizing_mode="stretch_width")


class ExplainView(Viewer):
    """Type a prompt and see how ``policy`` would route it (the studio's Explain tab)."""

    policy = param.ClassSelector(class_=Policy, allow_None=True)
    simulators = param.ClassSelector(class_=Simulators, allow_None=True,
                                     doc="The session's simulators: prompts reuse their models and embeddings.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.detail = RequestExplanation(policy=self.policy)
        self.param.watch(lambda e: setattr(self.detail, "policy", e.new), "policy")
        self._text = pn.widgets.TextAreaInput(placeholder="Paste a prompt…", rows=4, sizing_mode="stretch_width")
        self._button = pn.widgets.Button(label="Explain", color="primary")
        self._button.on_click(lambda _event: self.explain(self._text.value))

    def explain(self, text: str) -> Explanation | None:
        # one refresh for both: the models may have changed (the Models tab) though the prompt has not
        context = self.simulators.context if self.simulators is not None else self.detail.context
        self.detail.param.update(context=context, prompt=text)
        return self.detail.explanation

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self._text, self._button, self.detail, sizing_mode="stretch_width")
