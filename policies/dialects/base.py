"""What every dialect importer returns: canonical spec data plus notes about what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Finding, Severity, SpecPath
from ..yaml_source import load_documents

if TYPE_CHECKING:
    from ..model import Policy


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

    def under(self, prefix: SpecPath) -> "Normalised":
        """This result read from inside a wrapper (a SemanticRouter's ``spec.config``, Helm's ``config``): every
        source path of its notes and moves put under ``prefix``."""
        for note in self.notes:
            note.path = prefix + tuple(note.path or ())
        self.moves = [(canonical, prefix + source) for canonical, source in self.moves]
        return self

    def note(self, code: str, message: str, path: SpecPath, severity: Severity = Severity.INFO,
             suggestion: str | None = None) -> None:
        self.notes.append(Finding(code, severity, message, path=path, suggestion=suggestion))


def source_documents(policy: "Policy", dialect: str) -> list[Any]:
    """The documents ``policy`` was read from when it came from the wrapper ``dialect`` (``kubernetes``, ``helm``).

    Read from the source text: the policy model keeps no Kubernetes metadata, deployment fields or chart values,
    so an export of the same kind writes back what the cluster already has instead of inventing it.
    """
    source = policy.source_map
    if policy.dialect != dialect or source is None or source.text is None:
        return []
    return [d.data for d in load_documents(source.text, policy.source_file)]
