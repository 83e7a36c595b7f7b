"""The plugin registry's own entry-point scan gives importlib.metadata's answer, for every group installed."""

from __future__ import annotations

import sys
from importlib.metadata import distributions, entry_points
from pathlib import Path

import pytest

from policies.model.plugins import installed_entry_points


def _groups() -> set[str]:
    return {e.group for d in distributions() for e in d.entry_points}


def test_every_installed_group_matches_importlib_metadata() -> None:
    groups = _groups()
    assert len(groups) > 5  # a real environment: console_scripts, pytest11, ...
    for group in sorted(groups):
        ours = sorted((e.name, e.value) for e in installed_entry_points(group))
        theirs = sorted((e.name, e.value) for e in entry_points(group=group))
        assert ours == theirs, group


def test_first_distribution_of_a_name_wins_and_case_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder, value in (("first", "pkg_a:Kind"), ("second", "pkg_b:Kind")):
        info = tmp_path / folder / "My_Plugin-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "entry_points.txt").write_text(f"[routing_studio.signal_kinds]\nCamelName = {value}\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "first"), str(tmp_path / "second")])
    assert [(e.name, e.value) for e in installed_entry_points("routing_studio.signal_kinds")] == [
        ("CamelName", "pkg_a:Kind")]
    assert [(e.name, e.value) for e in entry_points(group="routing_studio.signal_kinds")] == [
        ("CamelName", "pkg_a:Kind")]


def test_an_entry_point_loads_its_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "demo_kind-0.1.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[routing_studio.signal_kinds]\ndemo = json.decoder:JSONDecoder.decode\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    (entry,) = [e for e in installed_entry_points("routing_studio.signal_kinds") if e.name == "demo"]
    import json.decoder

    assert entry.load() is json.decoder.JSONDecoder.decode
