"""Imports run studio → widgets → policies, never back: the engine loads without any UI library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI = ("panel", "bokeh", "holoviews", "param", "widgets", "studio")


def test_policies_imports_no_ui_library() -> None:
    code = ("import sys, pkgutil, importlib, policies\n"
            "for m in pkgutil.walk_packages(policies.__path__, 'policies.'):\n"
            "    if '.migrations' not in m.name and 'commands' not in m.name: importlib.import_module(m.name)\n"
            f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {UI!r})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"policies pulled in UI modules: {out.stdout.strip()}"


def test_widgets_do_not_import_the_studio() -> None:
    code = ("import sys, pkgutil, importlib, widgets\n"
            "for m in pkgutil.walk_packages(widgets.__path__, 'widgets.'): importlib.import_module(m.name)\n"
            "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] == 'studio')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
