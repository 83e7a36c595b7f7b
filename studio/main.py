"""Bokeh directory-app entry point: ``panel serve studio [--args --db URL --author NAME]``."""

import sys
from pathlib import Path

if __package__ in (None, ""):  # Bokeh runs this file as a script; make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.app import build_app  # noqa: E402
from studio.config import parse_args  # noqa: E402

build_app(parse_args(sys.argv[1:])).servable(title="Routing Studio")
