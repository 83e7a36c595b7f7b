"""Signal extractors, one module per family; importing this package registers them all."""

from .base import Extractor, LeafExpr, RawColumns, Unavailable, raw_column

__all__ = ["Extractor", "LeafExpr", "RawColumns", "Unavailable", "raw_column"]
