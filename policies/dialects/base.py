"""What every dialect importer returns: canonical spec data plus notes about what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Finding, Severity, SpecPath


@dataclass
class Normalised:
    """Canonical (0.4.0 layout) spec data built from some input layout.

    ``moves`` maps a canonical path prefix to the source path prefix it came from, so findings on
    the canonical model still point at the user's file; ``notes`` say what was renamed, inlined
    or could not be carried.
    """

    data: dict[str, Any]
    dialect: str
    notes: list[Finding] = field(default_factory=list)
    moves: list[tuple[SpecPath, SpecPath]] = field(default_factory=list)

    def note(self, code: str, message: str, path: SpecPath, severity: Severity = Severity.INFO,
             suggestion: str | None = None) -> None:
        self.notes.append(Finding(code, severity, message, path=path, suggestion=suggestion))
