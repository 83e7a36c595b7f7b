"""Autosave: every accepted edit is a draft keyed by the browser's id, so a reload or restart loses nothing."""

from __future__ import annotations

from typing import Any

from policies.api import PolicyError, Store
from widgets.state import PolicyState


class DraftKeeper:
    """Save the session's valid text as a draft after each edit; offer it back when the policy is opened."""

    def __init__(self, state: PolicyState, store: Store):
        self.state = state
        self.store = store
        state.param.watch(lambda _: self.restore(), "opened")
        state.param.watch(self._edited, "valid_text")

    def restore(self) -> bool:
        """Open the draft of the current policy for this browser, if there is one."""
        if not self.state.sid:
            return False
        draft = self.store.get_draft(self.state.sid, self.state.policy_name)
        if draft is None or draft.spec_yaml == self.state.valid_text:
            return False
        if not self.state.edit_text(draft.spec_yaml):
            return False
        self.state.message = (f"Restored your unsaved draft of '{draft.policy_name}' "
                              f"from {draft.updated_at:%Y-%m-%d %H:%M:%S} UTC.")
        return True

    def discard(self) -> None:
        """The edits were saved as a version (or thrown away): the draft is no longer needed."""
        if self.state.sid:
            self.store.discard_draft(self.state.sid, self.state.policy_name)

    def _edited(self, event: Any) -> None:
        if not self.state.sid:
            return
        try:
            if event.new == self.state.opened_text:
                if self.state.can_redo:  # undone back to what was opened or saved: nothing unsaved
                    self.store.discard_draft(self.state.sid, self.state.policy_name)
            else:
                self.store.save_draft(self.state.sid, self.state.policy_name, event.new)
        except PolicyError as exc:
            self.state.message = f"Autosave failed: {exc.findings[0].message}"
