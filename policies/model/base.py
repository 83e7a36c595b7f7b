"""Base class of every policy object.

We use pydantic (not param) for the engine: it validates nested specs in one pass and reports
each error with its path (which we map to file positions), ``extra="allow"`` keeps every field
we do not model yet so it is written back verbatim, and ``exclude_unset`` makes ``to_spec`` emit
exactly what the user wrote, so exports stay short and diffable. vllm-sr itself validates with
pydantic, so types line up. Widgets wrap these objects in ``param.ClassSelector``.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A spec object: ``from_spec`` / ``to_spec`` round-trip exactly, unknown keys included."""

    # strict: a quoted "300" or "no" stays a located type error (vllm-sr rejects them too) instead of
    # being silently converted; ints are still accepted where a float is expected.
    # defer_build: a class builds its validator when first used, not at import; `Policy`'s schema
    # covers what a policy file needs, so `routing-studio validate` skips ~40 validators it never
    # calls (~45 ms of the process, `benchmarks/bench_cli_validate.py`).
    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True, strict=True, defer_build=True)

    @classmethod
    def from_spec(cls, spec: Any) -> Self:
        return cls.model_validate(spec)

    def to_spec(self) -> dict[str, Any]:
        """The spec as the user would write it: aliases, only fields that were set, extras kept."""
        return self.model_dump(mode="python", by_alias=True, exclude_unset=True)

    def extra_fields(self) -> dict[str, Any]:
        """Keys the engine does not model (preserved verbatim)."""
        return dict(self.__pydantic_extra__ or {})
