"""``authz`` (``role_bindings``): whether the caller is one of a binding's subjects (users or groups).

Router semantics (``AuthzClassifier``, ``NewAuthzClassifier``, ``Classify`` and ``ParseUserGroups``
in ``src/semantic-router/pkg/classification/authz_classifier.go``; ``appendAuthzFromHeaders`` in
``classifier_signal_authz.go``; ``RoleBinding``/``Subject`` in ``pkg/config/signal_config.go``):

- identity comes from the ``x-authz-user-id`` and ``x-authz-user-groups`` headers (groups comma
  separated, each trimmed, empty ones dropped); here ``user_id`` and the ``groups`` (or
  ``user_groups``) list of the request ``metadata`` JSON (a JSON list or a comma-separated text);
- a binding matches when any subject matches: ``User`` by exact name, ``Group`` by membership; the
  kind compares lower case and trimmed, the name trimmed and case-sensitive;
- the router refuses at start-up a binding without a role, without subjects, with a subject kind
  other than User/Group or a blank subject name: validation reports these as errors;
- a match is crisp (confidence 1.0);
- the router emits a matched binding's *role*, not its name, and decision conditions name the
  role: a leaf fires when the caller is a subject of any binding granting that role
  (:meth:`AuthzSignal.evaluated_for`; the simulation and the solver both read it). vllm-sr
  0.4.0's validator, though, accepts only a *binding* name in a condition, so the one form both
  accept is a binding named like its role; a condition naming a binding whose role differs never
  fires at run time and validation reports it (``authz-role``).

Left out: a request without a user id makes the router refuse the request (authz error, no silent
bypass); here no binding matches it. The solver sees one flag per role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode

SUBJECT_KINDS = ("user", "group")


def _json_list(metadata: "pl.Series", key: str) -> "pl.Series":
    import polars as pl

    raw = metadata.str.json_path_match(f"$.{key}")
    if raw.drop_nulls().str.starts_with("[").all():
        return raw.str.json_decode(pl.List(pl.String))
    return raw.str.split(",").list.eval(pl.element().str.strip_chars())


class AuthzSignal(Signal):
    collection = "role_bindings"
    leaf_type = "authz"
    summary = "Role bindings: who the caller is."
    editor_fields = (
        EditorField("role", "text"),
        EditorField("subjects", "yaml"),
    )
    role: str | None = None
    subjects: list[dict[str, Any]] | None = None

    def subject_names(self, kind: str) -> list[str]:
        """Trimmed names of the subjects of ``kind`` (``user``/``group``), as ``NewAuthzClassifier`` normalises them."""
        return [str(s.get("name") or "").strip() for s in self.subjects or []
                if str(s.get("kind") or "").strip().lower() == kind]

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        if not str(self.role or "").strip():
            yield Finding("authz-binding", Severity.ERROR, f"role binding '{self.name}' has no role (the router "
                          "refuses to start)", path=path + ("role",), suggestion="set role to the name decisions use")
        if not self.subjects:
            yield Finding("authz-binding", Severity.ERROR, f"role binding '{self.name}' has no subjects (the router "
                          "refuses to start)", path=path + ("subjects",),
                          suggestion="add a subject with kind User or Group")
        for j, subject in enumerate(self.subjects or []):
            if str(subject.get("kind") or "").strip().lower() not in SUBJECT_KINDS:
                yield Finding("authz-binding", Severity.ERROR, f"role binding '{self.name}' subject kind "
                              f"{subject.get('kind')!r} is not User or Group (the router refuses to start)",
                              path=path + ("subjects", j, "kind"))
            if not str(subject.get("name") or "").strip():
                yield Finding("authz-binding", Severity.ERROR, f"role binding '{self.name}' subject {j} has a blank "
                              "name (the router refuses to start)", path=path + ("subjects", j, "name"))

    @classmethod
    def evaluated_for(cls, declared: list[Signal], name: str) -> Signal | None:
        """The router emits a matched binding's *role* (``AuthzClassifier.Classify``: MatchedRules are
        role names, deduplicated), so a leaf naming ``name`` fires when the caller is a subject of
        any binding granting role ``name``: those bindings' subjects together. A name no binding
        grants as a role never fires (a binding that grants it to nobody)."""
        granting = [b for b in declared if isinstance(b, AuthzSignal) and b.role == name]
        subjects = [subject for b in granting for subject in b.subjects or []]
        return cls(name=name, role=name, subjects=subjects)

    @classmethod
    def reference_findings(cls, declared: list[Signal], name: str, decision: str,
                           path: tuple[str | int, ...]) -> Iterable[Finding]:
        """A leaf naming a binding (as vllm-sr 0.4.0 requires) whose role no binding grants under that
        name never fires at run time."""
        binding = cls.declared_for(declared, name)
        role = getattr(binding, "role", None)
        if role and not getattr(cls.evaluated_for(declared, name), "subjects", None):
            yield Finding("authz-role", Severity.ERROR, f"decision '{decision}' names role binding '{name}', but "
                          f"the router emits the binding's role '{role}', so this condition never fires (vllm-sr "
                          "0.4.0 accepts it)", path=path + ("name",),
                          suggestion=f"name the binding like its role ('{role}') and use that name here")

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        import z3

        if not self.subjects:  # a role no binding grants: never emitted
            return z3.BoolVal(False), []
        return solver.pool.boolean(f"authz:{self.role or self.name}", "flag", f"role {self.role or self.name}"), []


class AuthzExtractor(Extractor):
    leaf_type = "authz"
    threshold_fields = frozenset({"description"})

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        assert isinstance(signal, AuthzSignal)
        meta = frame["metadata"]
        groups = pl.DataFrame({"g": _json_list(meta, "groups"), "u": _json_list(meta, "user_groups")}).select(
            pl.coalesce("g", "u"))["g"]
        users, wanted = signal.subject_names("user"), signal.subject_names("group")
        df = pl.DataFrame({"user": frame["user_id"], "groups": groups})
        hit = df.select(
            (pl.col("user").is_in(users).fill_null(False)
             | pl.col("groups").list.eval(pl.element().is_in(wanted)).list.any().fill_null(False))
            .cast(pl.Float64).alias("m"))["m"]
        return {"match": hit}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("match") > 0.5, None)
