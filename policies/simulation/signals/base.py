"""Transitional: the extractor base moved to :mod:`policies.signals.base` (the signal kinds' package).

Only the extractors not yet moved into their kind's module import it from here.
"""

from ...signals.base import (ColumnRef, Extractor, LeafExpr, RawColumns, Unavailable, compare,  # noqa: F401
                             per_distinct, raw_column)
