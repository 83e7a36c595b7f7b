"""How the builder edits a signal kind's fields: declared by the kind, rendered by the widgets.

A kind lists its editable spec keys with an input kind; the studio builds the form from that, so a
kind added by a plugin gets a form without UI code of its own (data flows engine → widgets).
Values are never checked here: ranges and label sets are the validator's job.
"""

from __future__ import annotations

from dataclasses import dataclass

# One text per line, a number, a checkbox, a choice, several choices, free text, a token count, a YAML block.
FIELD_KINDS = ("text", "lines", "float", "int", "bool", "choice", "choices", "tokens", "yaml")


@dataclass(frozen=True)
class EditorField:
    """One input of a signal's form: the spec key, how it is edited, and (for choices) the options."""

    key: str
    kind: str
    label: str = ""
    options: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} (one of {', '.join(FIELD_KINDS)})")
