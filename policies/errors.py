"""One error family for the whole engine.

Every problem the engine reports (broken YAML, a wrong type, a dangling reference, a conflict)
is a :class:`Finding` that names where it is: file, line, column and the spec path such as
``routing.decisions[3].rules``. :class:`PolicyError` is raised when a finding stops the work
(a file that cannot be parsed at all); it carries the findings so callers never need a traceback.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Iterable, Sequence

SpecPath = tuple[str | int, ...]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


def format_path(path: Sequence[str | int]) -> str:
    """``('routing', 'decisions', 3, 'rules')`` -> ``routing.decisions[3].rules``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class Finding:
    """A located diagnostic with a stable code, a severity and, where one exists, a suggested fix."""

    code: str
    severity: Severity
    message: str
    path: SpecPath = ()
    file: str | None = None
    line: int | None = None
    column: int | None = None
    suggestion: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def field(self) -> str:
        return format_path(self.path)

    def location(self) -> str:
        """``file:line:col`` with whatever parts are known."""
        parts = [self.file or "<policy>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def human(self) -> str:
        """``path:line:col: severity: message [field] (fix: ...)`` for terminals and CI logs."""
        text = f"{self.location()}: {self.severity.value}: {self.message}"
        if self.path:
            text += f" [{self.field}]"
        if self.suggestion:
            text += f" (fix: {self.suggestion})"
        return text

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["path"] = list(self.path)
        out["field"] = self.field
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


class PolicyError(Exception):
    """Raised when input cannot become a policy; carries located findings, never a raw traceback."""

    def __init__(self, findings: Finding | Iterable[Finding]):
        self.findings: list[Finding] = [findings] if isinstance(findings, Finding) else list(findings)
        super().__init__()

    def __str__(self) -> str:  # rendered late: loaders fill file/line after raising sites
        return "\n".join(f.human() for f in self.findings) or "invalid policy"

    @classmethod
    def single(cls, code: str, message: str, *, file: str | None = None, line: int | None = None,
               column: int | None = None, path: SpecPath = (), suggestion: str | None = None) -> "PolicyError":
        return cls(Finding(code, Severity.ERROR, message, path=path, file=file, line=line,
                           column=column, suggestion=suggestion))


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by file position, so output reads top to bottom."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.file or "", f.line or 0, f.column or 0, f.code))


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """'did you mean X?' text for a near miss (case and ``_``/space folded), else ``None``."""
    choices = list(choices)
    folded = {c.lower().replace("_", " ").replace("-", " "): c for c in choices}
    key = str(word).lower().replace("_", " ").replace("-", " ")
    if key in folded and folded[key] != word:
        return f"did you mean '{folded[key]}'?"
    match = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None
