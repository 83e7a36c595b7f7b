"""The YAML text view of the policy, with the validator's findings as inline markers.

Typing is debounced, then handed to :meth:`PolicyState.edit_text`: text that parses becomes the
policy; text that does not shows its parse error while the last valid policy stays in place.
"""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from policies.api import Finding

from .markdown_text import md_text
from .state import Debouncer, StateView

_ACE_TYPE = {"error": "error", "warning": "warning", "info": "info"}


def annotations(findings: list[Finding]) -> list[dict[str, Any]]:
    """Ace annotations (0-based rows) for findings that know their line."""
    return [{"row": f.line - 1, "column": max((f.column or 1) - 1, 0), "type": _ACE_TYPE[f.severity.value],
             "text": f.message + (f" (fix: {f.suggestion})" if f.suggestion else "")}
            for f in findings if f.line]


class YamlEditor(StateView):
    """CodeEditor bound both ways to the session's policy text."""

    debounce_ms = param.Integer(default=400, bounds=(0, None), doc="Quiet time before a keystroke is parsed.")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.editor = pn.widgets.CodeEditor(value=self.state.text, language="yaml", theme="chrome",
                                            sizing_mode="stretch_width", height=620, label="YAML")
        self.status = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width",
                                    css_classes=["yaml-parse-error"])
        self._commit = Debouncer(self._push_text, self.debounce_ms)
        self.editor.param.watch(lambda e: self._commit(), "value")
        self.state.param.watch(self._pull_text, "text")
        self.state.param.watch(self._refresh, ["parse_errors", "findings"])
        self._refresh()

    def _push_text(self) -> None:
        if self.editor.value != self.state.text:
            self.state.edit_text(self.editor.value)

    def _pull_text(self, event: param.parameterized.Event) -> None:
        if self.editor.value != event.new:
            self.editor.value = event.new

    def _refresh(self, *_: Any) -> None:
        errors = self.state.parse_errors
        self.editor.annotations = annotations(errors or self.state.findings)
        if errors:
            self.status.object = ("**The text does not parse; the last valid policy is kept.**  \n"
                                  + "  \n".join(md_text(f.human()) for f in errors))
        self.status.visible = bool(errors)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.status, self.editor, sizing_mode="stretch_width")
