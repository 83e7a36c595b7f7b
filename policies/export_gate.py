"""What stops an export or a bundle: validation errors and proved conflict errors, as located findings.

``routing-studio check`` reports an unreachable or shadowed decision as an error; an export of that
policy must not pass silently, from the command line (``policies/commands/gate.py``) or the studio
(``widgets/export_view.py``, ``widgets/bundle_view.py``). The gate runs the conflict analysis without
the embedding encoder (no ONNX load: the solver alone; on a 2-core machine ~0.1 s at 20 decisions,
~1.2 s at 200, against ~1 s for the encoder's load alone), so it reports a subset of ``check``'s
errors: the geometry-proved ones need ``check`` itself.
"""

from __future__ import annotations

from .errors import Finding, PolicyError, Severity
from .formatting import count
from .model import Policy


def _conflict_errors(policy: Policy) -> list[Finding]:
    from .conflicts import AnalysisOptions, analyze_policy  # z3 loads only when a gate runs
    from .conflicts.analysis import VALIDATOR_KINDS

    profiles = {p.name: p for p in policy.profiles()}
    out = []
    for f in analyze_policy(policy, AnalysisOptions(encoder=None)).findings:
        if f.severity is not Severity.ERROR or f.kind in VALIDATOR_KINDS:  # those come from validation already
            continue
        profile = profiles[f.profile]
        names = [d.name for d in profile.routing.all_decisions()]
        first = f.decisions[0] if f.decisions else None
        path = profile.path + ("decisions", names.index(first)) if first in names else profile.path
        out.append(policy.locate(Finding(f.kind, Severity.ERROR, f.explanation, path=path,
                                         suggestion="see 'routing-studio check' for the witness and repairs")))
    return out


def gate_findings(policy: Policy) -> list[Finding]:
    """What the gate weighs, for any target: the validator's findings, then the conflict analysis's errors."""
    from .validation import validate_policy

    return validate_policy(policy) + _conflict_errors(policy)


def blocking_errors(policy: Policy, fmt: str = "vllm-sr", findings: list[Finding] | None = None) -> list[Finding]:
    """The errors that refuse an export in ``fmt`` (a target makes some moot: the k8s pool takes its
    endpoints from the deployment, so a model without backend_refs does not stop it)."""
    from .export import errors_for_target

    return errors_for_target(gate_findings(policy) if findings is None else findings, fmt)


def errors_label(n: int) -> str:
    return f"{count(n)} error" + ("" if n == 1 else "s")


def target_refusals(policy: Policy, fmt: str, name: str) -> list[Finding]:
    """Why ``fmt`` cannot express ``policy`` (e.g. the Kubernetes pair's missing CRD forms); [] when it can."""
    from .export import export_text

    try:
        export_text(policy, fmt, name=name)
    except PolicyError as exc:
        return exc.findings
    return []
