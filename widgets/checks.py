"""Live checks: validator and conflict-analysis findings, re-run (debounced) after every edit.

Findings are listed by severity, then by the share of traffic they touch. Selecting one highlights
the decisions involved, shows the witness request the solver found, and previews each proven
repair as a diff that can be accepted (it becomes an ordinary, undoable edit) or rejected.

The list filters by severity (kept in the shared state and the URL) and by decision: one decision
of any profile (top-level routing or a recipe), or whichever decision the workspace / builder has
selected. The decision filter is kept in the URL too (``checks_decision``), so a link reopens it.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, field
from typing import Any

import panel as pn
import param

from policies.api import (VALIDATOR_KINDS, ConflictFinding, Finding, Policy, Repair, Report, Severity, analyze_policy,
                          dump_yaml, profile_of_path as profile_of, propose_repairs)

from .markdown_text import md_code_block, md_text
from .state import Debouncer, StateView


def conflicts(report: Report) -> list[ConflictFinding]:
    """Conflict findings, without the ones that repeat a validator finding (listed once, as the validator's)."""
    return [f for f in report.findings if f.kind not in VALIDATOR_KINDS]


def repairs_for(report: Report, finding: ConflictFinding) -> list[Repair]:
    """The finding's proven repairs, computed on first look (proofs cost solver time)."""
    if not finding.repairs:
        analysis = next((p.analysis for p in report.profiles if p.profile.name == finding.profile), None)
        if analysis is not None:
            finding.repairs = propose_repairs(analysis, finding)
    return finding.repairs


# Decision-filter value meaning "the decision selected in the workspace / builder".
SELECTED = "(selected)"


def decision_key(profile: str, name: str) -> str:
    """A decision's filter value: its name at the top level, ``recipe/name`` inside a recipe."""
    return f"{profile}/{name}" if profile else name


@dataclass
class CheckItem:
    """One row of the checks list, whatever produced it (validator or conflict analysis)."""

    key: str
    severity: Severity
    source: str  # "validation" | "conflict"
    code: str
    message: str
    decisions: list[str] = field(default_factory=list)
    share: float | None = None
    line: int | None = None
    original: Any = None
    profile: str = ""  # "" = the top-level routing, else the recipe the decisions belong to

    def label(self) -> str:
        share = f" · {self.share:.1%} of traffic" if self.share is not None else ""
        where = f" · line {self.line}" if self.line else ""
        recipe = f" · recipe {self.profile}" if self.profile else ""
        return f"{self.severity.value.upper()} · {self.code}: {self.message}{recipe}{share}{where}"

    def involves(self, key: str) -> bool:
        """Whether the finding involves the decision with filter value ``key`` (see :func:`decision_key`)."""
        return any(decision_key(self.profile, d) == key for d in self.decisions)


def _located(finding: Finding, policy: Policy) -> tuple[str, list[str]]:
    """(profile, [decision]) a validator finding's path points into; nothing for paths outside decisions."""
    try:
        profile, decision = profile_of(policy, tuple(finding.path))
    except (IndexError, TypeError):  # a path that is not this policy's (e.g. an import note): no decision
        return "", []
    return profile, [decision] if decision else []


def check_items(findings: list[Finding], conflicts: list[Any], policy: Policy | None) -> list[CheckItem]:
    """Validator findings and conflict findings as one list: severity, then traffic share, then position."""
    items = []
    for i, f in enumerate(findings):
        profile, decisions = _located(f, policy) if policy else ("", [])
        items.append(CheckItem(f"v{i}", f.severity, "validation", f.code, f.message, decisions, None, f.line, f,
                               profile))
    items += [CheckItem(f"c{c.id}", c.severity, "conflict", c.kind, c.explanation, list(c.decisions), c.share,
                        None, c, c.profile) for c in conflicts]
    return sorted(items, key=lambda it: (it.severity.rank, -(it.share or 0.0), it.line or 0, it.code))


def spec_diff(before: Policy, after: Policy, name: str = "policy") -> str:
    """Unified diff between two policies' canonical YAML."""
    return "".join(difflib.unified_diff(dump_yaml(before.to_spec()).splitlines(True),
                                        dump_yaml(after.to_spec()).splitlines(True),
                                        fromfile=f"{name} (current)", tofile=f"{name} (repaired)"))


class ChecksPanel(StateView):
    """Findings of the current policy, with witness and repair preview for the selected one."""

    debounce_ms = param.Integer(default=600, bounds=(0, None), doc="Quiet time before conflict analysis re-runs.")
    # A plain Parameter: param 2.4's Callable drops allow_None, which made None (validation only) unusable.
    analyser = param.Parameter(default=analyze_policy, allow_None=True,
                               doc="Conflict analysis (policy → Report); None = validation only.")
    items = param.List(default=[], item_type=CheckItem, doc="Every current finding, sorted.")
    selected = param.String(default="", doc="Key of the selected finding.")
    decision_filter = param.String(default="", doc="Show findings of one decision: '' = all, a decision_key, "
                                                   "or SELECTED (the workspace / builder selection).")
    analysis_error = param.String(default="", doc="Why conflict analysis could not run on this policy.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._report: Report | None = None
        self.severity_filter = pn.widgets.RadioButtonGroup(
            options={"all": "", "errors": "error", "warnings": "warning", "info": "info"}, value=self.state.severity)
        self.decision_select = pn.widgets.Select(label="Decision", options={"all decisions": ""}, width=260,
                                                 css_classes=["checks-decision"])
        self.listing = pn.widgets.Select(label="Findings", options={}, size=12, sizing_mode="stretch_width",
                                         css_classes=["checks-list"])
        self.summary = pn.pane.Markdown("", css_classes=["checks-summary"])
        self.detail = pn.Column(sizing_mode="stretch_width", css_classes=["checks-detail"])
        self._rerun = Debouncer(self.run_analysis, self.debounce_ms)
        self.severity_filter.param.watch(lambda e: setattr(self.state, "severity", e.new), "value")
        self.decision_select.param.watch(lambda e: setattr(self, "decision_filter", e.new or ""), "value")
        self.listing.param.watch(lambda e: setattr(self, "selected", e.new or ""), "value")
        self.state.param.watch(lambda _: self._collect(), "findings")
        self.state.param.watch(lambda _: self._collect(), "selected_decision")
        self.param.watch(lambda _: self._collect(), "decision_filter")
        self.state.param.watch(lambda _: self._rerun(), "policy")
        self.state.param.watch(self._filter_changed, "severity")
        self.param.watch(lambda _: self._show_selected(), "selected")
        self.run_analysis()
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:  # served: the filter lives in the URL
            self.sync_url()

    def sync_url(self, location: Any | None = None) -> None:
        """Mirror the decision filter into the URL query as ``checks_decision`` (and read it from there)."""
        location = location if location is not None else pn.state.location
        if location is not None:
            # Panel parses query values: a decision named like a number comes back as one; keep it a name.
            location.sync(self, {"decision_filter": "checks_decision"},
                          on_error=lambda values: self.param.update(**{k: str(v) for k, v in values.items()}))

    def shown(self) -> list[CheckItem]:
        """The items both filters let through, in list order."""
        key = self.state.selected_decision if self.decision_filter == SELECTED else self.decision_filter
        return [it for it in self.items
                if (not self.state.severity or it.severity.value == self.state.severity)
                and (not self.decision_filter or it.involves(key))]

    # -- analysis -------------------------------------------------------------------------
    def run_analysis(self) -> None:
        """Run conflict analysis on the current policy (validation findings come with the state)."""
        self._report, self.analysis_error = None, ""
        if self.analyser is not None and self.state.policy is not None:
            try:
                self._report = self.analyser(self.state.policy)
            except Exception as exc:  # noqa: BLE001 - an engine failure must not take the session down
                self.analysis_error = f"conflict analysis failed: {exc.__class__.__name__}: {exc}"
        self._collect()

    def item(self, key: str) -> CheckItem | None:
        return next((it for it in self.items if it.key == key), None)

    def accept_repair(self, index: int = 0) -> bool:
        """Apply the selected finding's repair number ``index`` as one undoable edit."""
        item = self.item(self.selected)
        repairs = repairs_for(self._report, item.original) if item and item.source == "conflict" else []
        if index >= len(repairs) or repairs[index].policy is None:
            return False
        ok = self.state.apply_spec(repairs[index].policy.to_spec())
        if ok:
            self.state.message = f"Repair applied: {repairs[index].description}"
        return ok

    # -- view updates ---------------------------------------------------------------------
    def _collect(self) -> None:
        found = conflicts(self._report) if self._report else []
        self.items = check_items(self.state.findings, found, self.state.policy)
        self._decision_options()
        shown = self.shown()
        self.listing.options = {it.label(): it.key for it in shown}
        keys = {it.key for it in shown}
        self.listing.value = self.selected if self.selected in keys else None
        counts = {s: sum(1 for it in self.items if it.severity is s) for s in Severity}
        text = (f"**{counts[Severity.ERROR]} errors · {counts[Severity.WARNING]} warnings · "
                f"{counts[Severity.INFO]} info**")
        if len(shown) != len(self.items):
            text += f" · {len(shown)} shown by the filters"
        if self.analyser is None:
            text += " — conflict analysis unavailable (validation only)"
        if self.analysis_error:
            text += f"  \n{md_text(self.analysis_error)}"
        self.summary.object = text
        if self.selected and self.selected not in keys:
            self.selected = ""
        else:
            self._show_selected()

    def _decision_options(self) -> None:
        """Every decision of every profile, plus the live selection; a filter naming none stays listed."""
        options = {"all decisions": "", f"selected decision ({self.state.selected_decision or 'none'})": SELECTED}
        for profile in self.state.policy.profiles() if self.state.policy else []:
            for d in profile.routing.all_decisions():
                key = decision_key(profile.name, d.name)
                options[f"{d.name} (recipe {profile.name})" if profile.name else d.name] = key
        if self.decision_filter not in options.values():
            options[f"{self.decision_filter} (not in this policy)"] = self.decision_filter
        self.decision_select.options = options
        self.decision_select.value = self.decision_filter

    def _filter_changed(self, event: param.parameterized.Event) -> None:
        self.severity_filter.value = event.new
        self._collect()

    def _show_selected(self) -> None:
        item = self.item(self.selected)
        # The shared highlight names top-level decisions; a recipe's decisions are not those.
        self.state.highlighted = item.decisions if item and not item.profile else []
        if item is None:
            self.detail.objects = [pn.pane.Markdown("*Select a finding to see the decisions, witness and repairs.*")]
            return
        parts: list[Any] = [pn.pane.Markdown(f"### {md_text(item.code)}\n{md_text(item.message)}")]
        if item.decisions:
            recipe = f" (recipe {md_text(item.profile)})" if item.profile else ""
            parts.append(pn.pane.Markdown("**Decisions:** " + ", ".join(md_text(d) for d in item.decisions) + recipe))
        if item.source == "validation" and item.original.suggestion:
            parts.append(pn.pane.Markdown(f"**Fix:** {md_text(item.original.suggestion)}"))
        if item.source == "conflict":
            parts += self._conflict_parts(item.original)
        self.detail.objects = parts

    def _conflict_parts(self, conflict: Any) -> list[Any]:
        parts: list[Any] = []
        witness = conflict.witness_synthetic
        if witness is not None:
            # HTML, escaped: a witness's text holds the policy's keywords, and a keyword like ```
            # broke the Markdown code span around it
            parts.append(pn.pane.HTML(f"<p><b>Witness request:</b> <code>{html.escape(witness.describe())}</code><br>"
                                      f"signals that fire: {html.escape(', '.join(witness.fired()) or 'none')}</p>",
                                      css_classes=["checks-witness"]))
        for i, repair in enumerate(repairs_for(self._report, conflict)):
            proven = "proven local" if repair.local else "locality not proven"
            diff = repair.diff or (spec_diff(self.state.policy, repair.policy) if repair.policy else "")
            accept = pn.widgets.Button(label="Accept repair", color="success", css_classes=["checks-accept"],
                                       disabled=repair.policy is None)
            reject = pn.widgets.Button(label="Reject", css_classes=["checks-reject"])
            preview = pn.Column(pn.pane.Markdown(f"**Repair ({repair.kind}, {proven}):** {md_text(repair.description)}"),
                                pn.pane.Markdown(md_code_block(diff, "diff"), css_classes=["checks-diff"]),
                                pn.Row(accept, reject), sizing_mode="stretch_width")
            accept.on_click(lambda _, i=i: self.accept_repair(i))
            reject.on_click(lambda _, p=preview: setattr(p, "visible", False))
            parts.append(preview)
        return parts

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.Row(self.severity_filter, self.decision_select), self.summary, self.listing, self.detail,
                         sizing_mode="stretch_width")
