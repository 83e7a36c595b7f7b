"""``input_modality``: whether the request carries text, images or audio.

The router counts the structural input modalities of the request's user turns
(``recordUserInputModalities`` in ``src/semantic-router/pkg/extproc``; text only when it has
non-whitespace content). Simulation reads the readers' content flags: ``text`` is a non-empty
prompt, ``image`` and ``audio`` the request's ``has_image``/``has_audio``; ``video`` is recorded by
no reader, so it is unavailable. The modality must be one of :data:`policies.labels.INPUT_MODALITIES`.
The solver sees one flag per modality.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import Finding, Severity
from ..labels import INPUT_MODALITIES
from ..model.editor_fields import EditorField
from ..model.signals import Signal
from .base import ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable

if TYPE_CHECKING:
    import polars as pl

    from ..model.rules import RuleNode


class InputModalitySignal(Signal):
    collection = "input_modality"
    leaf_type = "input_modality"
    fold_names = True
    summary = "Input modality of the request."
    editor_fields = (
        EditorField("modality", "choice", options=INPUT_MODALITIES),
    )
    modality: str | None = None

    def check(self, path: tuple[str | int, ...]) -> Iterable[Finding]:
        yield from super().check(path)
        if self.modality not in INPUT_MODALITIES:
            yield Finding("unknown-label", Severity.ERROR, f"input_modality '{self.name}' modality must be one of "
                          f"{', '.join(INPUT_MODALITIES)}", path=path + ("modality",))

    def solver_atom(self, leaf: "RuleNode", solver: Any) -> tuple[Any, list[str]] | None:
        modality = str(self.modality or self.name)
        return solver.pool.boolean(f"input_modality:{modality}", "flag", f"input modality {modality}"), []


class InputModalityExtractor(Extractor):
    leaf_type = "input_modality"

    def raw(self, signal: Signal, frame: "pl.DataFrame", context: Any) -> RawColumns:
        import polars as pl

        from ..simulation.frame import PROMPT

        assert isinstance(signal, InputModalitySignal)
        modality = (signal.modality or signal.name).lower()
        column = {"text": frame[PROMPT].str.len_chars() > 0, "image": frame["has_image"],
                  "audio": frame["has_audio"]}.get(modality)
        if column is None:
            raise Unavailable(f"input modality {modality!r} is not recorded in traffic")
        return {"present": column.fill_null(False).cast(pl.Float64)}

    def leaf(self, signal: Signal, node: "RuleNode", col: ColumnRef) -> LeafExpr:
        return LeafExpr(col("present") > 0.5, None)
