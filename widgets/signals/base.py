"""The signal form: built from the kind's own declaration (``Signal.editor_fields``), one class for all.

An editor edits a plain spec dict (what the YAML holds) and never checks values itself: ranges,
label sets and references are the validator's job, so a bad value shows up as a located finding
like any other. Fields an editor does not declare are kept untouched.

The form shows the fields a signal cannot go without first (:func:`required_fields`: what the validator
reports missing on a bare signal of the kind, so it is the router's rule, not a second list), then
the optional fields already set; the unset optional ones are folded (a keyword signal showed ten empty
inputs).
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

import panel as pn
import param
import yaml

from policies.api import EditorField, Severity, Signal, dump_yaml, loads_policy, validate_policy


class SignalEditor(pn.viewable.Viewer):
    """Edit one signal's spec; ``spec`` always holds the current value (unset fields left out)."""

    kind: ClassVar[type[Signal]] = Signal

    spec = param.Dict(default={}, doc="The signal as written in routing.signals.<collection>.")
    error = param.String(default="", doc="Why the last input could not be read (e.g. bad YAML block).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._inputs: dict[str, pn.widgets.Widget] = {}
        options = self.kind.name_options
        name = EditorField("name", "choice", options=options) if options else EditorField("name", "text")
        for spec in (name, EditorField("description", "text")) + self.kind.editor_fields:
            widget = _make_input(spec, self.spec.get(spec.key))
            widget.param.watch(lambda e, s=spec: self._changed(s, e.new), "value")
            self._inputs[spec.key] = widget

    def set_value(self, key: str, value: Any) -> None:
        """Drive one input programmatically (tests, notebooks), exactly as a user would."""
        self._inputs[key].value = value

    def _changed(self, spec: EditorField, raw: Any) -> None:
        try:
            value = _read(spec, raw)
        except yaml.YAMLError as exc:
            self.error = f"{spec.key}: not valid YAML ({exc.__class__.__name__})"
            return
        new = dict(self.spec)
        if value in (None, "", []):
            new.pop(spec.key, None)
        else:
            new[spec.key] = value
        self.param.update(spec=new, error="")

    def __panel__(self) -> pn.viewable.Viewable:
        note = pn.pane.Alert(self.param.error, alert_type="danger",
                             visible=self.param.error.rx.bool())
        required = required_fields(self.kind) | {"name"}
        first = [w for key, w in self._inputs.items() if key in required]
        shown = [w for key, w in self._inputs.items() if key not in required and key in self.spec]
        folded = [w for key, w in self._inputs.items() if key not in required and key not in self.spec]
        more = ([pn.Card(*folded, title=f"More fields ({len(folded)})", collapsed=True, css_classes=["se-more"],
                         sizing_mode="stretch_width")] if folded else [])
        return pn.Column(*first, *shown, *more, note, sizing_mode="stretch_width")


@cache
def required_fields(kind: type[Signal]) -> frozenset[str]:
    """Keys the validator reports as errors on a signal of ``kind`` that has only a name (plus the
    kind's declared ``required``): the fields the router cannot do without."""
    collection = kind.collection
    spec = {"version": "v0.3", "providers": {"defaults": {"model": "m"}, "models": [{"name": "m"}]},
            "routing": {"signals": {collection: [{"name": "x"}]}}}
    where = ("routing", "signals", collection, 0)
    findings = validate_policy(loads_policy(dump_yaml(spec), "required-fields"))
    missing = {str(f.path[4]) for f in findings
               if f.severity is Severity.ERROR and tuple(f.path[:4]) == where and len(f.path) > 4}
    return frozenset(missing | set(kind.required))


def _make_input(spec: EditorField, value: Any) -> pn.widgets.Widget:
    label = spec.label or spec.key.replace("_", " ")
    if spec.kind == "lines":
        return pn.widgets.TextAreaInput(label=f"{label} (one per line)", value="\n".join(map(str, value or [])),
                                        height=90, description=spec.help or None)
    if spec.kind == "float":
        return pn.widgets.FloatInput(label=label, value=value, step=0.05, description=spec.help or None)
    if spec.kind == "int":
        return pn.widgets.IntInput(label=label, value=value, description=spec.help or None)
    if spec.kind == "bool":
        return pn.widgets.Select(label=label, options={"(unset)": None, "true": True, "false": False}, value=value)
    if spec.kind == "choice":
        options = [""] + list(dict.fromkeys(spec.options + ((str(value),) if value else ())))
        return pn.widgets.Select(label=label, options=options, value=str(value or ""))
    if spec.kind == "choices":
        options = list(dict.fromkeys(spec.options + tuple(map(str, value or ()))))
        return pn.widgets.MultiChoice(label=label, options=options, value=list(map(str, value or [])))
    if spec.kind == "yaml":
        text = dump_yaml(value) if value is not None else ""
        return pn.widgets.TextAreaInput(label=f"{label} (YAML)", value=text, height=110,
                                        description=spec.help or None)
    placeholder = "e.g. 4096, 32K or 1.5M" if spec.kind == "tokens" else ""
    return pn.widgets.TextInput(label=label, value="" if value is None else str(value), placeholder=placeholder)


def _read(spec: EditorField, raw: Any) -> Any:
    if spec.kind == "lines":
        return [line.strip() for line in str(raw or "").splitlines() if line.strip()]
    if spec.kind == "tokens":
        text = str(raw or "").strip()
        return int(text) if text.isdigit() else text
    if spec.kind == "yaml":
        return yaml.safe_load(raw) if str(raw or "").strip() else None
    if spec.kind == "choices":
        return list(raw or [])
    return raw
