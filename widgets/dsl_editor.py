"""The policy's routing as the router's DSL (``recipe.dsl``), editable and kept in sync with the builder.

Mirrors the YAML editor: typing is debounced; text that compiles becomes the policy (through
:func:`edit_routing`, which carries only what was edited into the YAML, so the user's file keeps its
form); text that does not shows its errors with line:col, as markers and above the editor, and the
user's text stays as typed while the last valid policy stays in place. Edits elsewhere (builder, YAML)
re-render the DSL. What the DSL cannot hold (providers, a decision's extra keys ...) is listed above
the editor and kept in the YAML untouched; a policy whose DSL view would leave a whole route out is
shown read-only.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from policies.api import Finding, PolicyError, dumps_dsl, edit_routing, editable_in_dsl

from .markdown_text import md_text
from .state import Debouncer, StateView
from .yaml_editor import annotations


class DslEditor(StateView):
    """CodeEditor bound both ways to the session's policy, through its DSL view."""

    debounce_ms = param.Integer(default=400, bounds=(0, None), doc="Quiet time before a keystroke is compiled.")
    errors = param.List(default=[], item_type=Finding, doc="Why the editor's text does not compile (located in it).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.editor = pn.widgets.CodeEditor(value="", language="text", theme="chrome", sizing_mode="stretch_width",
                                            height=620, label="DSL")
        self.status = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width",
                                    css_classes=["dsl-parse-error"])
        self.omitted = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width",
                                     css_classes=["dsl-omitted"])
        self._shown = ""  # the DSL rendered from the current policy
        self._pushing = False
        self._commit = Debouncer(self._push_text, self.debounce_ms)
        self.editor.param.watch(lambda e: self._commit(), "value")
        self.state.param.watch(self._pull, "policy")
        self.param.watch(self._refresh, "errors")
        self._pull()

    @property
    def file(self) -> str:
        return f"{self.state.policy_name}.dsl"

    def _pull(self, *_: Any) -> None:
        policy = self.state.policy
        if policy is None:
            return
        self._shown, notes = dumps_dsl(policy, drop_unsupported=True)
        self.editor.readonly = not editable_in_dsl(policy)
        lines = [md_text(f"{f.field or f.path}: {f.message.removeprefix('not written to the DSL: ')}") for f in notes]
        head = ("**Read-only: this view leaves out a whole route; edit it in the YAML.**  \n"
                if self.editor.readonly else "**Not in the DSL, kept as it is in the YAML:**  \n")
        self.omitted.object = head + "  \n".join(lines)
        self.omitted.visible = bool(lines)
        if not self._pushing:  # the user's own edit stays as typed; edits from elsewhere re-render
            self.errors = []
            self.editor.value = self._shown

    def _push_text(self) -> None:
        text, policy = self.editor.value, self.state.policy
        if policy is None or text == self._shown:
            self.errors = []
            return
        try:
            spec = edit_routing(policy, text, self.file)
        except PolicyError as exc:
            self.errors = exc.findings
            return
        self.errors = []
        self._pushing = True
        try:
            self.state.apply_spec(spec)
        finally:
            self._pushing = False

    def _refresh(self, *_: Any) -> None:
        self.editor.annotations = annotations(self.errors)
        if self.errors:
            self.status.object = ("**The DSL does not compile; the last valid policy is kept.**  \n"
                                  + "  \n".join(md_text(f.human()) for f in self.errors))
        self.status.visible = bool(self.errors)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.status, self.omitted, self.editor, sizing_mode="stretch_width")
