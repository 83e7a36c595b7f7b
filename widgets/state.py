"""Session state shared by the studio's widgets: one policy being edited, and how it got here.

The YAML text is the single source of truth: every edit, visual or textual, becomes a text, and
the policy is always ``loads_policy(text)``, so line positions (for inline markers) always match
what the editor shows. The text is the user's file as written: a visual edit patches only what it
changed into it (``revise``), so comments, key order, quoting and flow style stay, and one
threshold edited in the builder is one changed line. Text that does not parse never replaces the last valid policy: the parse
error is published instead. Undo/redo stacks hold valid texts, so both views undo together.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

import panel as pn
import param

from policies.api import (Finding, Policy, PolicyError, decode_text, dump_yaml, dumps_policy, loads_policy, revise,
                          validate_policy)

UNDO_LIMIT = 200
# Layouts the studio edits as written: their paths are the canonical ones, so builder edits patch the file
# in place. The others (a Kubernetes pair, the legacy flat layout) open as canonical YAML.
KEPT_AS_WRITTEN = ("canonical", "repository")

# Parameters that make a studio view shareable, and their names in the URL query.
URL_PARAMS = {"policy_name": "policy", "version": "version", "tab": "tab", "severity": "severity",
              "selected_decision": "decision", "sid": "sid"}


class PolicyState(param.Parameterized):
    """The policy one browser session edits, its findings, selection, history and URL-visible view."""

    policy_name = param.String(default="untitled", doc="Policy name: the storage key and the YAML file stem.")
    version = param.Integer(default=0, bounds=(0, None), doc="Stored version the text started from (0 = none).")
    text = param.String(default="", doc="What the YAML editor shows; may not parse.")
    valid_text = param.String(default="", doc="The last text that parsed; the policy was loaded from it.")
    opened_text = param.String(default="", doc="The text as opened or last saved (baseline for drafts and diffs).")
    policy = param.ClassSelector(class_=Policy, allow_None=True, doc="The last valid policy.")
    parse_errors = param.List(default=[], item_type=Finding, doc="Why ``text`` does not parse (empty when it does).")
    findings = param.List(default=[], item_type=Finding, doc="Validator findings on ``policy``.")
    selected_decision = param.String(default="", doc="Decision the builder edits and the checks highlight.")
    highlighted = param.List(default=[], item_type=str, doc="Decisions a selected finding involves.")
    tab = param.String(default="", doc="Studio tab shown (shared through the URL).")
    severity = param.String(default="", doc="Finding filter: '', 'error', 'warning' or 'info'.")
    sid = param.String(default="", doc="Per-browser id that keys autosaved drafts.")
    message = param.String(default="", doc="Last user-facing notice (load failures, saves).")
    can_undo = param.Boolean(default=False, constant=True)
    can_redo = param.Boolean(default=False, constant=True)
    opened = param.Event(doc="Fires after a policy has been opened (history restarted).")

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._undo: list[str] = []
        self._redo: list[str] = []

    # -- opening --------------------------------------------------------------------------
    def open_text(self, text: str | bytes, name: str | None = None, version: int = 0) -> bool:
        """Open a new policy (history restarts). On a parse error the current policy stays open.

        The text stays as written in the layouts of ``KEPT_AS_WRITTEN``; an imported layout (legacy,
        Kubernetes pair) opens as canonical YAML, so visual edits and the text describe one layout.
        The importer's notes become the message.
        """
        name = name or self.policy_name
        try:
            text = decode_text(text, f"{name}.yaml") if isinstance(text, bytes) else text
        except PolicyError as exc:
            self.message = _summary(exc.findings)
            return False
        policy, errors = self._parse(text, name)
        if policy is None:
            self.message = _summary(errors)
            return False
        notes = ""
        if policy.dialect != "canonical" and policy.dialect in KEPT_AS_WRITTEN:
            notes = f"Opened in the {policy.dialect} layout, kept as written; exports write the vLLM SR 0.4.0 layout."
        elif policy.dialect not in KEPT_AS_WRITTEN:
            notes = f"Imported from the {policy.dialect} layout. " + _summary(policy.import_notes, "")
            text = dump_yaml(policy.to_spec())
            policy, _ = self._parse(text, name)
        self._undo.clear()
        self._redo.clear()
        self._sync_flags()
        self.param.update(policy_name=name, version=version, text=text, opened_text=text, selected_decision="",
                          highlighted=[], message=notes)
        self._accept(text, policy)
        self.param.trigger("opened")
        return True

    def mark_saved(self, version: int) -> None:
        """The current text was stored as ``version``: it becomes the baseline."""
        self.param.update(version=version, opened_text=self.valid_text)

    def open_policy(self, policy: Policy, name: str | None = None) -> None:
        """Open an engine object (e.g. in a notebook), in its file's own text when it was loaded from one."""
        self.open_text(dumps_policy(policy), name or _stem(policy.source_file) or self.policy_name)

    # -- editing --------------------------------------------------------------------------
    def edit_text(self, text: str) -> bool:
        """A text edit: accepted (undoable) when it parses, else reported with the model kept."""
        if text == self.valid_text:
            self.param.update(text=text, parse_errors=[])
            return True
        policy, errors = self._parse(text, self.policy_name)
        if policy is None:
            self.param.update(text=text, parse_errors=errors)
            return False
        self._push(self._undo, self.valid_text)
        self._redo.clear()
        self.text = text
        self._accept(text, policy)
        return True

    def apply_spec(self, spec: dict[str, Any]) -> bool:
        """A visual edit: the change from the current spec to ``spec`` is patched into the text, then a
        normal text edit."""
        if self.policy is None:
            return self.edit_text(dump_yaml(spec))
        revision = revise(self.valid_text, self.policy.to_spec(), spec, f"{self.policy_name}.yaml")
        ok = self.edit_text(revision.text)
        if ok and revision.rewritten:
            self.message = (f"This edit could not keep your file's own layout ({revision.rewritten}): the YAML "
                            "was rewritten in the canonical layout. Undo restores your file.")
        return ok

    def spec(self) -> dict[str, Any]:
        """A private deep copy of the current policy's spec, safe to mutate for an edit."""
        return self.policy.copy_policy().to_spec() if self.policy is not None else {}

    def undo(self) -> None:
        if not self._undo:
            return
        self._push(self._redo, self.valid_text)
        self._restore(self._undo.pop())

    def redo(self) -> None:
        if not self._redo:
            return
        self._push(self._undo, self.valid_text)
        self._restore(self._redo.pop())

    # -- URL ------------------------------------------------------------------------------
    def sync_url(self, location: Any | None = None) -> None:
        """Mirror the shareable parameters into the URL query (``pn.state.location``)."""
        location = location if location is not None else pn.state.location
        if location is None:
            return
        location.sync(self, URL_PARAMS)
        if not self.sid:
            # A letter first: Panel parses URL values, and an id like '123e45678901' would come back a float.
            self.sid = "s" + uuid.uuid4().hex[:11]
        # The browser reports its own URL when it connects, which can land after our first push and
        # drop the draft id: push ours once the page has loaded, and again whenever the reported
        # query lacks the id (a no-op once it is there).
        push = lambda *_: location.update_query(**self.url_query())  # noqa: E731
        pn.state.onload(push)
        if hasattr(location, "param") and "search" in location.param:
            location.param.watch(lambda event: None if "sid=" in (event.new or "") else push(), "search")

    def url_query(self) -> dict[str, str]:
        """The shareable parameters as URL query values."""
        return {key: str(getattr(self, p)) for p, key in URL_PARAMS.items() if getattr(self, p) not in ("", None, 0)}

    # -- internals ------------------------------------------------------------------------
    def _parse(self, text: str, name: str) -> tuple[Policy | None, list[Finding]]:
        try:
            return loads_policy(text, f"{name}.yaml"), []
        except PolicyError as exc:
            return None, exc.findings

    def _accept(self, text: str, policy: Policy) -> None:
        names = {d.name for d in policy.decisions}
        self.param.update(valid_text=text, policy=policy, parse_errors=[], findings=validate_policy(policy),
                          highlighted=[h for h in self.highlighted if h in names])
        if self.selected_decision not in names:
            self.selected_decision = ""
        self._sync_flags()

    def _restore(self, text: str) -> None:
        policy, _ = self._parse(text, self.policy_name)
        if policy is not None:  # stacks only hold texts that parsed
            self.text = text
            self._accept(text, policy)

    def _push(self, stack: list[str], text: str) -> None:
        stack.append(text)
        del stack[:-UNDO_LIMIT]
        self._sync_flags()

    def _sync_flags(self) -> None:
        with param.edit_constant(self):
            self.param.update(can_undo=bool(self._undo), can_redo=bool(self._redo))


def _summary(errors: list[Finding], empty: str = "could not read the policy") -> str:
    return "; ".join(f.human() for f in errors[:3]) or empty


def _stem(file: str | None) -> str | None:
    if not file:
        return None
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] or None


class Debouncer:
    """Run ``fn`` once input has been quiet for ``delay_ms`` (inside a served session; at once elsewhere)."""

    def __init__(self, fn: Callable[[], None], delay_ms: int = 300):
        self.fn = fn
        self.delay_ms = delay_ms
        self._handle: Any = None

    def __call__(self) -> None:
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None or self.delay_ms <= 0:
            self.fn()
            return
        if self._handle is not None:
            try:
                doc.remove_timeout_callback(self._handle)
            except ValueError:
                pass
        self._handle = doc.add_timeout_callback(self._fire, self.delay_ms)

    def _fire(self) -> None:
        self._handle = None
        self.fn()


class StateView(pn.viewable.Viewer):
    """Base of the studio widgets: each reads and edits one :class:`PolicyState`.

    ``Widget(policy=p)`` builds a private state, so every widget also works alone in Jupyter.
    """

    state = param.ClassSelector(class_=PolicyState, doc="The session state this widget reads and edits.")

    def __init__(self, policy: Policy | None = None, **params: Any):
        if params.get("state") is None:
            params["state"] = PolicyState()
        super().__init__(**params)
        if policy is not None:
            self.state.open_policy(policy)
