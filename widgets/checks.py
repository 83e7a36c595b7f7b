"""Live checks: validator and conflict-analysis findings, re-run (debounced) after every edit.

Findings are grouped by kind and severity and the groups ranked (errors first, then by the share of
traffic they touch, when a simulation is given), so hundreds of overlaps read as one group; the
Group filter narrows the list to one. Selecting a finding highlights the decisions involved, shows
the witness as a request (an example prompt and a signal → value → threshold → fires table), with
traffic the logged requests in its region and their share and cost, and previews each proven repair
as a diff that can be accepted (it becomes an ordinary, undoable edit) or rejected. An overlap can
be accepted as intended: an annotation in the policy file (:mod:`policies.conflicts.intent`), applied
as an ordinary edit, so the CLI reading the same file agrees.

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

from policies.api import (ACCEPTABLE, VALIDATOR_KINDS, ConflictFinding, Finding, Policy, Repair, Report, Severity,
                          SimulationResult, TrafficSet, accept_overlap, analyze_policy, dump_yaml, fill_repairs,
                          group_findings, percent, profile_of_path as profile_of, weigh_findings)

from .markdown_text import md_code_block, md_text
from .state import Debouncer, StateView


def conflicts(report: Report) -> list[ConflictFinding]:
    """Conflict findings, without the ones that repeat a validator finding (listed once, as the validator's)."""
    return [f for f in report.findings if f.kind not in VALIDATOR_KINDS]


def repairs_for(report: Report, finding: ConflictFinding) -> list[Repair]:
    """The finding's proven repairs, computed on first look (proofs cost solver time); the candidates dropped
    (a block's request reaching a model, an accepted overlap moved, ...) land in ``finding.data["not_offered"]``."""
    if not finding.repairs and "not_offered" not in finding.data:
        analysis = next((p.analysis for p in report.profiles if p.profile.name == finding.profile), None)
        if analysis is not None:
            fill_repairs(analysis, finding)
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
    accepted: bool = False  # an overlap the policy's annotations accept as intended

    @property
    def kind(self) -> str:  # what groups are made of (policies.conflicts.findings.group_findings)
        return self.code

    def order(self) -> tuple:
        """Within a group: traffic share, then position in the file."""
        return (-(self.share or 0.0), self.line or 0, self.code, self.message)

    def label(self) -> str:
        share = f" · {percent(self.share)} of traffic" if self.share is not None else ""
        where = f" · line {self.line}" if self.line else ""
        recipe = f" · recipe {self.profile}" if self.profile else ""
        state = "ACCEPTED" if self.accepted else self.severity.value.upper()
        return f"{state} · {self.code}: {self.message}{recipe}{share}{where}"

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
    """Validator findings and conflict findings as one list, group by group (see :func:`groups_of`)."""
    items = []
    for i, f in enumerate(findings):
        profile, decisions = _located(f, policy) if policy else ("", [])
        items.append(CheckItem(f"v{i}", f.severity, "validation", f.code, f.message, decisions, None, f.line, f,
                               profile))
    items += [CheckItem(f"c{c.id}", c.severity, "conflict", c.kind, c.explanation, list(c.decisions), c.share,
                        None, c, c.profile, c.accepted) for c in conflicts]
    return [it for group in groups_of(items) for it in group.findings]


def groups_of(items: list[CheckItem]) -> list[Any]:
    """The items grouped by kind and severity, accepted overlaps apart; ranked errors first, then traffic share."""
    return group_findings(items, CheckItem.order)


def spec_diff(before: Policy, after: Policy, name: str = "policy") -> str:
    """Unified diff between two policies' canonical YAML."""
    return "".join(difflib.unified_diff(dump_yaml(before.to_spec()).splitlines(True),
                                        dump_yaml(after.to_spec()).splitlines(True),
                                        fromfile=f"{name} (current)", tofile=f"{name} (repaired)"))


class SimulationFeed(param.Parameterized):
    """The session's latest simulation, handed from the Simulation tab to the Checks tab (either may be built
    first: both are built on first view)."""

    result = param.ClassSelector(class_=SimulationResult, allow_None=True, doc="The latest simulation.")
    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True, doc="The traffic it replayed.")


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
    group_filter = param.String(default="", doc="Show one group of findings ('' = all): a FindingGroup.key.")
    analysis_error = param.String(default="", doc="Why conflict analysis could not run on this policy.")
    result = param.ClassSelector(class_=SimulationResult, allow_None=True,
                                 doc="A simulation of the policy: findings get their traffic share, cost and logged "
                                     "requests (only while it simulated the policy as it is now).")
    traffic = param.ClassSelector(class_=TrafficSet, allow_None=True,
                                  doc="The traffic ``result`` replayed: the prompts of the logged requests shown.")
    feed = param.ClassSelector(class_=SimulationFeed, allow_None=True,
                               doc="Where the studio's Simulation tab publishes its runs: followed into result/traffic.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._report: Report | None = None
        self._weighed: tuple[int, int] | None = None
        self._shown: tuple | None = None  # what the detail shows (see _show_selected)
        self.severity_filter = pn.widgets.RadioButtonGroup(
            options={"all": "", "errors": "error", "warnings": "warning", "info": "info"}, value=self.state.severity)
        self.decision_select = pn.widgets.Select(label="Decision", options={"all decisions": ""}, width=260,
                                                 css_classes=["checks-decision"])
        self.group_select = pn.widgets.Select(label="Group", options={"all groups": ""}, width=420,
                                              css_classes=["checks-group"])
        self.groups_view = pn.pane.HTML("", css_classes=["checks-groups"], sizing_mode="stretch_width")
        self.listing = pn.widgets.Select(label="Findings", options={}, size=12, sizing_mode="stretch_width",
                                         css_classes=["checks-list"])
        self.summary = pn.pane.Markdown("", css_classes=["checks-summary"])
        self.detail = pn.Column(sizing_mode="stretch_width", css_classes=["checks-detail"])
        self._rerun = Debouncer(self.run_analysis, self.debounce_ms)
        self.severity_filter.param.watch(lambda e: setattr(self.state, "severity", e.new), "value")
        self.decision_select.param.watch(lambda e: setattr(self, "decision_filter", e.new or ""), "value")
        self.group_select.param.watch(lambda e: setattr(self, "group_filter", e.new or ""), "value")
        self.param.watch(lambda _: self._collect(), "group_filter")
        self.param.watch(lambda *_: self._weigh(), ["result", "traffic"])
        if self.feed is not None:
            self.feed.param.watch(lambda *_: self.param.update(result=self.feed.result, traffic=self.feed.traffic),
                                  ["result", "traffic"])
            self.param.update(result=self.feed.result, traffic=self.feed.traffic)
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
        in_group = {id(it) for g in groups_of(self.items) if g.key == self.group_filter for it in g.findings}
        return [it for it in self.items
                if (not self.state.severity or it.severity.value == self.state.severity)
                and (not self.decision_filter or it.involves(key))
                and (not self.group_filter or id(it) in in_group)]

    # -- analysis -------------------------------------------------------------------------
    def run_analysis(self) -> None:
        """Run conflict analysis on the current policy (validation findings come with the state)."""
        self._report, self.analysis_error = None, ""
        if self.analyser is not None and self.state.policy is not None:
            try:
                self._report = self.analyser(self.state.policy)
            except Exception as exc:  # noqa: BLE001 - an engine failure must not take the session down
                self.analysis_error = f"conflict analysis failed: {exc.__class__.__name__}: {exc}"
        self._weigh()

    def _weigh(self) -> None:
        """Weigh the findings by ``result`` when it simulated the current policy (else they stay unweighed)."""
        report, result = self._report, self.result
        if report is not None and result is not None and self.state.policy is not None \
                and result.policy.same_as(self.state.policy) and self._weighed != (id(report), id(result)):
            self._weighed = (id(report), id(result))  # weighing adds co-firing findings: once per pair
            prompts = self.traffic.requests.select("request_id", "prompt") if self.traffic is not None else None
            try:
                weigh_findings(report, result.requests, result.profile, prompts=prompts)
            except ValueError as exc:  # a table without the columns a finding's region reads: say so, keep going
                self.analysis_error = f"traffic not applied: {exc}"
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

    def accept_as_intended(self) -> bool:
        """Record the selected overlap as intended in the policy (an annotation; one undoable edit)."""
        item = self.item(self.selected)
        if item is None or item.source != "conflict" or item.accepted or item.code not in ACCEPTABLE:
            return False
        finding = item.original
        ok = self.state.apply_spec(accept_overlap(self.state.policy, finding).to_spec())
        if ok:
            self.state.message = (f"Overlap accepted as intended: '{finding.decisions[0]}' takes the requests it "
                                  f"shares with '{finding.decisions[1]}'")
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
        counts = {s: sum(1 for it in self.items if it.severity is s and not it.accepted) for s in Severity}
        accepted = sum(it.accepted for it in self.items)
        text = (f"**{counts[Severity.ERROR]} errors · {counts[Severity.WARNING]} warnings · "
                f"{counts[Severity.INFO]} info**" + (f" · {accepted} accepted as intended" if accepted else ""))
        self._group_options()
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

    def _group_options(self) -> None:
        """The ranked groups, as a list above the findings and as the Group filter's options."""
        groups = groups_of(self.items)
        self.groups_view.object = "<ol class='checks-group-list'>" + "".join(
            f"<li>{html.escape(g.title)}</li>" for g in groups) + "</ol>" if groups else ""
        options = {"all groups": "", **{g.title: g.key for g in groups}}
        if self.group_filter not in options.values():
            options[f"{self.group_filter} (none now)"] = self.group_filter
        self.group_select.options = options
        self.group_select.value = self.group_filter

    def _filter_changed(self, event: param.parameterized.Event) -> None:
        self.severity_filter.value = event.new
        self._collect()

    def _show_selected(self) -> None:
        item = self.item(self.selected)
        # The shared highlight names top-level decisions; a recipe's decisions are not those.
        self.state.highlighted = item.decisions if item and not item.profile else []
        shown = (item.key, id(item.original), item.accepted, item.share) if item else None
        if shown is not None and shown == self._shown:
            return  # the same finding as shown: a rebuilt detail would swap its buttons under the user's pointer
        self._shown = shown
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
        if conflict.accepted:
            parts.append(pn.pane.HTML(f"<p class='checks-accepted-note'><b>Accepted as intended</b> (annotation on "
                                      f"'{html.escape(conflict.decisions[0])}' in the policy file).</p>"))
        elif conflict.kind in ACCEPTABLE and len(conflict.decisions) == 2:
            button = pn.widgets.Button(label="Accept as intended", css_classes=["checks-accept-intended"])
            button.on_click(lambda _: self.accept_as_intended())
            parts.append(button)
        witness = conflict.witness_synthetic
        if witness is not None:
            parts.append(pn.pane.HTML(witness_html(witness, conflict.signals), css_classes=["checks-witness"]))
        if conflict.traffic_line() is not None:
            parts.append(pn.pane.HTML(traffic_html(conflict), css_classes=["checks-traffic"]))
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
        dropped = conflict.data.get("not_offered", [])
        if dropped:
            parts.append(pn.pane.HTML("<p><b>Not offered:</b></p><ul class='checks-not-offered'>" + "".join(
                f"<li>{html.escape(d['kind'])}: {html.escape(d['description'])} — {html.escape(d['why'])}</li>"
                for d in dropped) + "</ul>"))
        return parts

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(pn.Row(self.severity_filter, self.decision_select, self.group_select), self.summary,
                         self.groups_view, self.listing, self.detail, sizing_mode="stretch_width")


def witness_html(witness: Any, signals: list[str]) -> str:
    """The witness as a request: the example prompt (placeholders named), then signal → value → threshold → fires.
    HTML, escaped: the example holds the policy's keywords, and a keyword like ``` broke a Markdown code span."""
    rows = "".join(f"<tr><td>{html.escape(r.signal)}</td><td>{html.escape(r.value)}</td>"
                   f"<td>{html.escape(r.threshold)}</td><td>{'yes' if r.fires else 'no'}</td></tr>"
                   for r in witness.table(signals or None))
    return (f"<p><b>Witness request</b> (an example prompt): <q class='checks-example'>"
            f"{html.escape(witness.example)}</q>{html.escape(witness.beside_text())}</p>"
            "<table class='checks-witness-table'><thead><tr><th>signal</th><th>value</th><th>threshold</th>"
            f"<th>fires</th></tr></thead><tbody>{rows}</tbody></table>")


def traffic_html(conflict: Any) -> str:
    """Its share of traffic and cost, and the logged requests that hit the region."""
    texts = conflict.witnesses_real_text or [""] * len(conflict.witnesses_real)
    logged = "".join(f"<li><code>{html.escape(rid)}</code> {html.escape(text[:160])}</li>"
                     for rid, text in zip(conflict.witnesses_real, texts))
    return (f"<p><b>Traffic:</b> {html.escape(conflict.traffic_line())}</p>"
            + (f"<ul class='checks-logged'>{logged}</ul>" if logged else ""))
