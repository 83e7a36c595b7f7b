"""Edit a policy through its DSL view: a DSL edit changes only what the user changed.

The DSL view of a policy (:func:`~policies.dsl.emitter.dumps_dsl`) leaves out what the DSL cannot
hold (providers, a decision's extra keys ...) and the compiler fills the router's defaults (a single
condition becomes ``AND`` of one, a missing ``method`` its default). Replacing the policy's routing
with the compiled edit would therefore rewrite parts the user never touched and lose the rest. A
three-way merge avoids both: compile the view as shown (``base``) and as edited (``edited``), and
carry into the policy only the spec paths where those two differ. Untouched parts keep the YAML's own
form; parts the view leaves out are never in ``base`` nor ``edited``, so they stay as they are.
"""

from __future__ import annotations

from typing import Any

from ..model import Policy
from .compiler import loads_dsl
from .emitter import BLOCK_DROPPED, dumps_dsl

_ABSENT = object()


def rebase(current: Any, base: Any, edited: Any) -> Any:
    """``current`` with the change from ``base`` to ``edited`` applied (a three-way merge of spec data)."""
    if base == edited:
        return current
    if isinstance(current, dict) and isinstance(base, dict) and isinstance(edited, dict):
        out = dict(current)
        for key in list(base) + [k for k in edited if k not in base]:
            before, after = base.get(key, _ABSENT), edited.get(key, _ABSENT)
            if after is _ABSENT:
                out.pop(key, None)
            elif before is _ABSENT or key not in current:
                out[key] = after
            else:
                out[key] = rebase(current[key], before, after)
        return out
    if isinstance(current, list) and isinstance(base, list) and isinstance(edited, list) \
            and len(current) == len(base) == len(edited):
        return [rebase(c, b, e) for c, b, e in zip(current, base, edited)]
    return edited


def editable_in_dsl(policy: Policy) -> bool:
    """Whether every block of the policy's routing appears in its DSL view (a view that leaves a whole
    route out cannot be edited: the merge could not tell a removal from an omission)."""
    return not any(f.code == BLOCK_DROPPED for f in dumps_dsl(policy, drop_unsupported=True)[1])


def edit_routing(policy: Policy, text: str, file: str | None = None) -> dict[str, Any]:
    """The policy's spec after the DSL view was edited to ``text``; raises ``PolicyError`` (located in
    ``text``) when it does not compile."""
    edited = loads_dsl(text, file).to_spec().get("routing") or {}
    shown, _ = dumps_dsl(policy, drop_unsupported=True)
    base = loads_dsl(shown, file).to_spec().get("routing") or {}
    spec = policy.copy_policy().to_spec()
    spec["routing"] = rebase(spec.get("routing") or {}, base, edited)
    return spec
