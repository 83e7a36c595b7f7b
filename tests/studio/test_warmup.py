"""``panel serve studio`` pays its one-time costs when it loads the app, not in the first session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What Bokeh does for ``panel serve studio`` before listening: build the directory application.
PROBE = """
import sys
from bokeh.application.handlers import DirectoryHandler
handler = DirectoryHandler(filename="studio")
assert not handler.failed, handler.error_detail
from policies.validation.schema import compiled_schema
print("studio.app" in sys.modules, "widgets.simulation_dashboard" in sys.modules,
      compiled_schema.cache_info().currsize)
"""


def test_loading_the_directory_app_imports_every_tab_and_compiles_the_schema() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "1"]
