"""Visual rule builder: decisions (rule tree, precedence, models, algorithm, plugins) and signals.

Every edit changes a copy of the policy spec and hands it to :meth:`PolicyState.apply_spec`, so
the YAML view, undo/redo, validation and autosave see visual edits exactly like typed ones. The
tree operations below work on spec dicts (what the YAML holds); whether a tree is *valid* is the
validator's job, so a half-built tree simply shows its findings.

The builder edits one routing profile at a time: the top-level ``routing`` or one recipe's. The
shared ``state.selected_decision`` names top-level decisions only (the workspace and the URL use
it), so inside a recipe the builder keeps its own selection.
"""

from __future__ import annotations

import copy
from functools import partial
from html import escape
from typing import Any, Callable

import panel as pn
import param

from policies.api import ALGORITHM_TYPES, Routing, Signal, contract, static_order

from .model_refs import model_ref_row
from .profiles import (TOP_LEVEL, add_recipe, fresh_recipe_name, profile_routing, recipe_names, remove_recipe,
                       routing_spec)
from .profiles import rename_recipe as rename_recipe_in_spec
from .signals import editor_for
from .state import StateView

NodePath = tuple[int, ...]  # child indexes from the root of a decision's rules
GROUP_OPS = ("AND", "OR")


# -- tree operations on spec dicts --------------------------------------------------------
def is_leaf(node: dict[str, Any]) -> bool:
    return "type" in node or "name" in node


def node_at(root: dict[str, Any], path: NodePath) -> dict[str, Any]:
    node = root
    for i in path:
        node = node["conditions"][i]
    return node


def add_child(root: dict[str, Any], path: NodePath, child: dict[str, Any]) -> None:
    """Append ``child`` to the group at ``path``."""
    node_at(root, path).setdefault("conditions", []).append(child)


def remove(root: dict[str, Any], path: NodePath) -> None:
    """Remove the node at ``path`` (not the root)."""
    del node_at(root, path[:-1])["conditions"][path[-1]]


def move(root: dict[str, Any], path: NodePath, delta: int) -> NodePath:
    """Move a node up (-1) or down (+1) among its siblings; returns its new path."""
    siblings = node_at(root, path[:-1])["conditions"]
    i, j = path[-1], path[-1] + delta
    if not 0 <= j < len(siblings):
        return path
    siblings[i], siblings[j] = siblings[j], siblings[i]
    return path[:-1] + (j,)


def negate(root: dict[str, Any], path: NodePath) -> dict[str, Any]:
    """Toggle NOT around the node at ``path``: unwrap a one-child NOT, else wrap. Returns the new root."""
    node = node_at(root, path)
    if not is_leaf(node) and str(node.get("operator", "")).upper() == "NOT" and len(node.get("conditions") or []) == 1:
        replacement = node["conditions"][0]
    else:
        replacement = {"operator": "NOT", "conditions": [node]}
    if not path:
        return replacement
    node_at(root, path[:-1])["conditions"][path[-1]] = replacement
    return root


def as_group(rules: dict[str, Any] | None) -> dict[str, Any]:
    """The root as an editable group: missing rules = catch-all AND; a bare leaf goes inside an AND."""
    if not rules:
        return {"operator": "AND", "conditions": []}
    return {"operator": "AND", "conditions": [rules]} if is_leaf(rules) else rules


def declared_leaves(policy_signals: list[tuple[str, Signal]]) -> dict[str, list[str]]:
    """Names a leaf of each type may reference, from the declared signals (``name:level`` for complexity)."""
    out: dict[str, list[str]] = {}
    for _, signal in policy_signals:
        if type(signal).leaf_type:
            out.setdefault(type(signal).leaf_type, []).extend(signal.referenced_names())
    return out


def is_incomplete(node: dict[str, Any]) -> bool:
    """A leaf that names no signal yet (what a new decision starts with): it never matches."""
    return is_leaf(node) and not (node.get("type") and node.get("name"))


def rank_text(routing: Routing | None, name: str) -> str:
    """Where decision ``name`` stands in the order the router tries decisions (tier, then priority),
    naming its neighbours, so a priority edit shows what it overtakes."""
    order = [d.name for d in static_order(routing.all_decisions())] if routing else []
    if name not in order:
        return ""
    i = order.index(name)
    before = f", after <b>{escape(order[i - 1])}</b>" if i else ", tried first"
    after = f", before <b>{escape(order[i + 1])}</b>" if i + 1 < len(order) else ""
    return f"Rank {i + 1} of {len(order)}{before}{after}"


# Bokeh draws a disabled button as an enabled one with a not-allowed cursor: fade it as well
DISABLED_CSS = ".bk-btn:disabled, .bk-btn[disabled] {opacity: 0.4; filter: grayscale(80%); cursor: not-allowed;}"


def button(label: str, **params: Any) -> pn.widgets.Button:
    """A builder button that looks disabled when it is (see :data:`DISABLED_CSS`)."""
    return pn.widgets.Button(label=label, stylesheets=[DISABLED_CSS], **params)


# -- the widget ---------------------------------------------------------------------------
class RuleBuilder(StateView):
    """Build and edit decisions and signals without writing YAML."""

    profile = param.String(default=TOP_LEVEL, doc="Profile edited: '' = the top-level routing, else a recipe name.")
    recipe_decision = param.String(default="", doc="Decision selected inside a recipe profile.")
    signal_kind = param.Selector(default="keyword", objects=list(Signal.leaf_types()), doc="Signal kind edited.")
    signal_name = param.String(default="", doc="Signal edited ('' = a new one).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.profile_select = pn.widgets.Select(label="Profile", options={}, css_classes=["rb-profile"])
        self.recipe_name_input = pn.widgets.TextInput(label="Recipe name", placeholder="recipe_1", width=160)
        self.new_recipe_button = button("New recipe (copy of this profile)",
                                                   css_classes=["rb-new-recipe"])
        self.rename_recipe_button = button("Rename recipe", css_classes=["rb-rename-recipe"])
        self.delete_recipe_button = button("Delete recipe", color="danger",
                                                      css_classes=["rb-delete-recipe"])
        self.decision_select = pn.widgets.Select(label="Decision", options=[])
        self.new_button = button("New decision", color="primary", css_classes=["rb-new-decision"])
        self.delete_button = button("Delete decision", color="danger", css_classes=["rb-delete-decision"])
        self.form = pn.Column(sizing_mode="stretch_width")
        self.rank = pn.pane.HTML(css_classes=["rb-rank"], sizing_mode="stretch_width")
        self.tree = pn.Column(sizing_mode="stretch_width", css_classes=["rb-tree"])
        self.kind_select = pn.widgets.Select.from_param(self.param.signal_kind, label="Signal kind")
        self.signal_select = pn.widgets.Select(label="Signal", options=[])
        self.signal_form = pn.Column(sizing_mode="stretch_width")
        self.apply_signal_button = button("Apply signal", color="primary")
        self.delete_signal_button = button("Delete signal", color="danger")
        self.signal_editor: Any = None
        self._keeping_form = False
        self.profile_select.param.watch(lambda e: setattr(self, "profile", e.new or TOP_LEVEL), "value")
        self.new_recipe_button.on_click(lambda _: self.new_recipe(self.recipe_name_input.value))
        self.rename_recipe_button.on_click(lambda _: self.rename_recipe(self.recipe_name_input.value))
        self.delete_recipe_button.on_click(lambda _: self.delete_recipe())
        self.decision_select.param.watch(self._pick_decision, "value")
        self.new_button.on_click(lambda _: self.new_decision())
        self.delete_button.on_click(lambda _: self.delete_decision())
        self.signal_select.param.watch(lambda e: setattr(self, "signal_name", e.new or ""), "value")
        self.apply_signal_button.on_click(lambda _: self.apply_signal())
        self.delete_signal_button.on_click(lambda _: self.delete_signal())
        self.state.param.watch(lambda _: self._render(), ["policy", "selected_decision"])
        self.param.watch(lambda _: self._render(), "recipe_decision")
        self.param.watch(self._profile_changed, "profile")
        self.param.watch(lambda _: self._render_signal(), ["signal_kind", "signal_name"])
        self._render()

    # -- profile and selection ------------------------------------------------------------
    @property
    def selected(self) -> str:
        """Name of the decision being edited in the current profile ('' = none)."""
        return self.recipe_decision if self.profile else self.state.selected_decision

    def select(self, name: str) -> None:
        """Select a decision of the current profile (top level: the shared, URL-visible selection)."""
        if self.profile:
            self.recipe_decision = name
        else:
            self.state.selected_decision = name

    def new_recipe(self, name: str | None = None) -> str:
        """Add a recipe starting as a copy of the profile shown, and switch to it; '' when refused."""
        spec = self.state.spec()
        name = (name or "").strip() or fresh_recipe_name(spec)
        try:
            add_recipe(spec, name, copy_of=self.profile)
        except ValueError as exc:
            self.state.message = str(exc)
            return ""
        if not self.state.apply_spec(spec):
            return ""
        self.recipe_name_input.value = ""
        self.profile = name
        return name

    def rename_recipe(self, name: str) -> bool:
        """Rename the recipe shown; entrypoints naming it follow, and its selected decision stays
        selected. False, with a message, when refused (blank or taken name)."""
        old = self.profile
        if not old:
            return False
        spec = self.state.spec()
        try:
            rename_recipe_in_spec(spec, old, name)
        except ValueError as exc:
            self.state.message = str(exc)
            return False
        with param.discard_events(self):  # the re-render below must find the recipe under its new name
            self.profile = name.strip()
        if not self.state.apply_spec(spec):
            with param.discard_events(self):
                self.profile = old
            return False
        self.recipe_name_input.value = ""
        return True

    def delete_recipe(self) -> bool:
        """Remove the recipe shown (refused, with a message, while an entrypoint names it)."""
        if not self.profile:
            return False
        spec = self.state.spec()
        try:
            remove_recipe(spec, self.profile)
        except ValueError as exc:
            self.state.message = str(exc)
            return False
        ok = self.state.apply_spec(spec)
        if ok:
            self.profile = TOP_LEVEL
        return ok

    # -- decision edits (public so notebooks and tests drive them like the buttons do) -----
    def new_decision(self, name: str | None = None) -> str:
        """Add a decision (priority 100, the default model) whose rule is one empty condition, marked
        incomplete until a signal is picked: it matches nothing meanwhile, where an empty AND would
        match every request."""
        spec = self.state.spec()
        decisions = routing_spec(spec, self.profile).setdefault("decisions", [])
        taken = {d.get("name") for d in decisions}
        name = name or next(f"new_decision_{i}" for i in range(1, len(taken) + 2) if f"new_decision_{i}" not in taken)
        decision: dict[str, Any] = {"name": name, "priority": 100,
                                    "rules": {"operator": "AND", "conditions": [{"type": "", "name": ""}]}}
        default = self.state.policy.default_model if self.state.policy else None
        if default:
            decision["modelRefs"] = [{"model": default, "use_reasoning": False}]
        decisions.append(decision)
        if self.state.apply_spec(spec):
            self.select(name)
        return name

    def delete_decision(self) -> None:
        name = self.selected
        self._edit_decisions(lambda ds: [d for d in ds if d.get("name") != name])

    def update_decision(self, **fields: Any) -> None:
        """Set decision fields (``None`` removes one); renaming keeps the decision selected."""

        def change(decision: dict[str, Any]) -> None:
            for key, value in fields.items():
                if value is None or value == []:
                    decision.pop(key, None)
                else:
                    decision[key] = value

        if self._edit_decision(change) and fields.get("name"):
            self.select(fields["name"])

    def edit_rules(self, op: Callable[[dict[str, Any]], Any]) -> None:
        """Apply a tree operation to the selected decision's rules (an op returning a dict replaces the root)."""

        def change(decision: dict[str, Any]) -> None:
            root = as_group(decision.get("rules"))
            result = op(root)
            decision["rules"] = result if isinstance(result, dict) else root

        self._edit_decision(change)

    def set_models(self, models: list[str]) -> None:
        """modelRefs in the given order; settings of refs that stay are kept."""
        decision = self._selected_spec() or {}
        old = {r.get("model"): r for r in decision.get("modelRefs") or []}
        self.update_decision(modelRefs=[old.get(m, {"model": m, "use_reasoning": False}) for m in models])

    def update_model_ref(self, index: int, **fields: Any) -> None:
        """Set fields of ``modelRefs[index]`` (``None`` removes one); its other keys are kept verbatim."""

        def change(decision: dict[str, Any]) -> None:
            refs = decision.get("modelRefs") or []
            if 0 <= index < len(refs):
                for key, value in fields.items():
                    if value is None:
                        refs[index].pop(key, None)
                    else:
                        refs[index][key] = value

        self._edit_decision(change)

    def set_algorithm(self, kind: str) -> None:
        self.update_decision(algorithm={"type": kind} if kind else None)

    def set_plugins(self, types: list[str]) -> None:
        old = {p.get("type"): p for p in (self._selected_spec() or {}).get("plugins") or []}
        self.update_decision(plugins=[old.get(t, {"type": t}) for t in types])

    # -- signal edits ---------------------------------------------------------------------
    def apply_signal(self, spec: dict[str, Any] | None = None) -> bool:
        """Write the editor's signal into ``routing.signals.<collection>`` (replacing the one edited)."""
        spec = spec if spec is not None else (self.signal_editor.spec if self.signal_editor else {})
        if not spec.get("name"):
            self.state.message = "A signal needs a name."
            return False
        collection = Signal.kind(self.signal_kind).collection
        policy_spec = self.state.spec()
        signals = routing_spec(policy_spec, self.profile).setdefault("signals", {}).setdefault(collection, [])
        at = next((i for i, s in enumerate(signals) if s.get("name") == self.signal_name), None)
        if at is None:
            signals.append(dict(spec))
        else:
            signals[at] = dict(spec)
        ok = self.state.apply_spec(policy_spec)
        if ok:
            self.signal_name = spec["name"]
        return ok

    def delete_signal(self) -> None:
        collection = Signal.kind(self.signal_kind).collection
        policy_spec = self.state.spec()
        routing = routing_spec(policy_spec, self.profile)
        signals = (routing.get("signals") or {}).get(collection) or []
        kept = [s for s in signals if s.get("name") != self.signal_name]
        if len(kept) != len(signals):
            routing["signals"][collection] = kept
            self.signal_name = ""
            self.state.apply_spec(policy_spec)

    # -- internals ------------------------------------------------------------------------
    def _routing(self) -> Routing | None:
        """The engine's routing of the profile shown (None when the policy has none)."""
        return profile_routing(self.state.policy, self.profile)

    def _selected_spec(self) -> dict[str, Any] | None:
        spec = self.state.spec()
        if self.profile not in [TOP_LEVEL, *recipe_names(self.state.policy)]:
            return None
        for d in routing_spec(spec, self.profile).get("decisions") or []:
            if d.get("name") == self.selected:
                return d
        return None

    def _edit_decisions(self, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> bool:
        spec = self.state.spec()
        routing = routing_spec(spec, self.profile)
        routing["decisions"] = change(routing.get("decisions") or [])
        return self.state.apply_spec(spec)

    def _edit_decision(self, change: Callable[[dict[str, Any]], None]) -> bool:
        name = self.selected

        def each(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
            for d in decisions:
                if d.get("name") == name:
                    change(d)
            return decisions

        return bool(name) and self._edit_decisions(each)

    def _keeping(self, edit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run an edit made by one input of the decision's form or tree, keeping the form as it is.

        That input already shows its new value and nothing else in the form depends on it, so the
        re-render skips rebuilding the form: a rebuild replaces every input in the browser, and a
        pick the user made meanwhile, in an input about to be replaced, was lost.
        """
        self._keeping_form = True
        try:
            return edit(*args, **kwargs)
        finally:
            self._keeping_form = False

    def _pick_decision(self, event: param.parameterized.Event) -> None:
        if (event.new or "") != self.selected:
            self.select(event.new or "")

    def _profile_changed(self, _: param.parameterized.Event) -> None:
        with param.discard_events(self):  # one render below, not one per reset
            self.param.update(signal_name="", recipe_decision="")
        self._render()

    def _render(self) -> None:
        recipes = recipe_names(self.state.policy)
        if self.profile and self.profile not in recipes:
            self.profile = TOP_LEVEL  # a recipe removed by a text edit or an undo: back to the top level
            return  # the profile watcher has rendered
        # options and value in one update: a browser given options without its current value picks
        # the first one and sends it back, which switched a renamed recipe's builder to the top level
        options = {"routing (top level)": TOP_LEVEL} | {f"recipe: {r}": r for r in recipes}
        self.profile_select.param.update(options=options, value=self.profile)
        self.delete_recipe_button.disabled = self.rename_recipe_button.disabled = not self.profile
        routing = self._routing()
        names = [d.name for d in routing.all_decisions()] if routing else []
        if self.profile and self.recipe_decision and self.recipe_decision not in names:
            self.recipe_decision = ""
            return  # the selection watcher has rendered
        self.decision_select.param.update(options=[""] + names, value=self.selected if self.selected in names else "")
        decision = self._selected_spec()
        self.delete_button.disabled = decision is None
        self.rank.object = rank_text(routing, self.selected) if decision is not None else ""
        if self._keeping_form:  # the input that made this edit already shows it; the rest of the form is
            return  # unchanged (a rename passes through a render where the old name is gone: keep that too)
        if decision is None:
            self.form.objects = [pn.pane.Markdown("*Select a decision or create a new one.*")]
            self.tree.objects = []
        else:
            self.form.objects = self._decision_form(decision)
            self.tree.objects = [self._node_view(as_group(decision.get("rules")), ())]
        self._render_signal()

    def _decision_form(self, d: dict[str, Any]) -> list[pn.viewable.Viewable]:
        policy = self.state.policy
        name = pn.widgets.TextInput(label="Name", value=d.get("name", ""))
        description = pn.widgets.TextInput(label="Description", value=d.get("description") or "")
        priority = pn.widgets.IntInput(label="Priority", value=d.get("priority"), width=120)
        tier = pn.widgets.IntInput(label="Tier", value=d.get("tier"), width=120)
        refs = d.get("modelRefs") or []
        models = pn.widgets.MultiChoice(label="Models (first = static choice)",
                                        options=list(dict.fromkeys(policy.model_names() + [r.get("model") for r in refs])),
                                        value=[r.get("model") for r in refs])
        ref_rows = [model_ref_row(i, ref, policy, partial(self._keeping, self.update_model_ref))
                    for i, ref in enumerate(refs)]
        algorithm = pn.widgets.Select(label="Algorithm", options=["", *ALGORITHM_TYPES],
                                      value=(d.get("algorithm") or {}).get("type", ""))
        plugin_types = list(contract()["plugin_types"])
        current = [p.get("type") for p in d.get("plugins") or []]
        plugins = pn.widgets.MultiChoice(label="Plugins", options=list(dict.fromkeys(plugin_types + current)),
                                         value=current)
        keep = self._keeping
        name.param.watch(lambda e: e.new and e.new != e.old and keep(self.update_decision, name=e.new), "value")
        description.param.watch(lambda e: keep(self.update_decision, description=e.new or None), "value")
        priority.param.watch(lambda e: keep(self.update_decision, priority=e.new), "value")
        tier.param.watch(lambda e: keep(self.update_decision, tier=e.new), "value")
        models.param.watch(lambda e: self.set_models(e.new), "value")  # one row per model: the form changes
        algorithm.param.watch(lambda e: keep(self.set_algorithm, e.new), "value")
        plugins.param.watch(lambda e: keep(self.set_plugins, e.new), "value")
        return [pn.Row(name, priority, tier), description, models,
                pn.Column(*ref_rows, css_classes=["rb-model-refs"], sizing_mode="stretch_width"),
                pn.Row(algorithm, plugins)]

    def _node_view(self, node: dict[str, Any], path: NodePath) -> pn.viewable.Viewable:
        op = "" if is_leaf(node) else str(node.get("operator", "AND")).upper()
        controls = self._node_controls(path, negated=op == "NOT")
        if is_leaf(node):
            mark = ([pn.pane.HTML("<span style='color:#9a6700'>⚠ incomplete: pick a signal</span>",
                                  css_classes=["rb-incomplete"])] if is_incomplete(node) else [])
            return pn.Row(*self._leaf_inputs(node, path), *controls, *mark, css_classes=["rb-leaf"])
        children = [self._node_view(c, path + (i,)) for i, c in enumerate(node.get("conditions") or [])]
        if op == "NOT":
            head = [pn.pane.HTML("<b>NOT</b>", width=40), *controls]
        else:
            op_select = pn.widgets.Select(options=list(dict.fromkeys([*GROUP_OPS, op])), value=op, width=80)
            self._keep_node_field(op_select, path, "operator")
            add_leaf = button("+ condition", width=100, css_classes=["rb-add-condition"])
            add_group = button("+ group", width=80, css_classes=["rb-add-group"])
            add_leaf.on_click(lambda _: self.edit_rules(lambda r: add_child(r, path, self._default_leaf())))
            add_group.on_click(lambda _: self.edit_rules(
                lambda r: add_child(r, path, {"operator": "OR", "conditions": [self._default_leaf()]})))
            head = [op_select, add_leaf, add_group, *controls]
        if op == "AND" and not children and not path:
            children = [pn.pane.Markdown("*no conditions: this decision matches every request (catch-all)*")]
        return pn.Column(pn.Row(*head), pn.Column(*children, styles={"border-left": "3px solid #94a3b8",
                                                                     "padding-left": "10px"}),
                         css_classes=["rb-group"], sizing_mode="stretch_width")

    def _node_controls(self, path: NodePath, negated: bool = False) -> list[pn.widgets.Button]:
        """Negate (or, on a NOT group, whose label already says NOT, remove the NOT), move, delete."""
        negate_button = (button("Remove NOT", width=100, css_classes=["rb-unnegate"]) if negated
                         else button("NOT", width=55, css_classes=["rb-negate"]))
        negate_button.on_click(lambda _: self.edit_rules(lambda r: negate(r, path)))
        if not path:
            return [negate_button]
        up = button("↑", width=36, css_classes=["rb-up"])
        down = button("↓", width=36, css_classes=["rb-down"])
        delete = button("✕", width=36, color="danger", css_classes=["rb-remove"])
        up.on_click(lambda _: self.edit_rules(lambda r: move(r, path, -1)))
        down.on_click(lambda _: self.edit_rules(lambda r: move(r, path, +1)))
        delete.on_click(lambda _: self.edit_rules(lambda r: remove(r, path)))
        return [negate_button, up, down, delete]

    def _leaf_inputs(self, node: dict[str, Any], path: NodePath) -> list[pn.widgets.Widget]:
        declared = self._declared()
        kind, name = str(node.get("type") or ""), str(node.get("name") or "")
        kinds = list(dict.fromkeys([*Signal.leaf_types(), kind]))
        names = list(dict.fromkeys([*declared.get(kind, []), name]))
        type_select = pn.widgets.Select(options=kinds, value=kind, width=140, css_classes=["rb-leaf-type"])
        name_select = pn.widgets.Select(options=names, value=name, width=180, css_classes=["rb-leaf-name"])

        def set_type(e: param.parameterized.Event) -> None:
            first = (declared.get(e.new) or [""])[0]
            self.edit_rules(lambda r: node_at(r, path).update(type=e.new, name=first))

        type_select.param.watch(set_type, "value")
        self._keep_node_field(name_select, path, "name")
        inputs: list[pn.widgets.Widget] = [type_select, name_select]
        if kind == "classifier":
            label = pn.widgets.TextInput(placeholder="label", value=node.get("label") or "", width=120)
            self._keep_node_field(label, path, "label")
            inputs.append(label)
        return inputs

    def _keep_node_field(self, widget: pn.widgets.Widget, path: NodePath, field: str) -> None:
        """``widget``'s value becomes ``field`` of the rule node at ``path``; the form is kept (see
        :meth:`_keeping`)."""
        widget.param.watch(lambda e: self._keeping(self.edit_rules, lambda r: node_at(r, path).update({field: e.new})),
                           "value")

    def _default_leaf(self) -> dict[str, Any]:
        """A leaf on the first declared signal (the user then picks type and name)."""
        for kind, names in self._declared().items():
            return {"type": kind, "name": names[0]}
        return {"type": "keyword", "name": ""}

    def _declared(self) -> dict[str, list[str]]:
        routing = self._routing()
        return declared_leaves(routing.all_signals() if routing else [])

    def _render_signal(self) -> None:
        routing = self._routing()
        collection = Signal.kind(self.signal_kind).collection
        declared = (getattr(routing.signals, collection, None) or []) if routing and routing.signals else []
        self.signal_select.options = {"(new signal)": ""} | {s.name: s.name for s in declared}
        self.signal_select.value = self.signal_name if self.signal_name in {s.name for s in declared} else ""
        current = next((s for s in declared if s.name == self.signal_name), None)
        spec = copy.deepcopy(current.to_spec()) if current else {}
        self.signal_editor = editor_for(self.signal_kind)(spec=spec)
        self.signal_form.objects = [self.signal_editor]

    def __panel__(self) -> pn.viewable.Viewable:
        profiles = pn.Row(self.profile_select, self.recipe_name_input, self.new_recipe_button,
                          self.rename_recipe_button, self.delete_recipe_button, css_classes=["rb-profiles"])
        decisions = pn.Column("### Decision",
                              pn.Row(self.decision_select, self.new_button, self.delete_button), self.rank, self.form,
                              "#### Rules", self.tree, sizing_mode="stretch_width")
        signals = pn.Column("### Signals", self.kind_select, self.signal_select, self.signal_form,
                            pn.Row(self.apply_signal_button, self.delete_signal_button), sizing_mode="stretch_width")
        # the profile row spans both columns: beside the decision column it ran under the Signals heading at 1280 px
        return pn.Column(profiles, pn.Row(decisions, pn.Column(signals, width=420), sizing_mode="stretch_width"),
                         sizing_mode="stretch_width")
