"""Persistent studio state (policy versions, drafts, traffic sets, simulation runs) on SQLAlchemy.

Open with :meth:`Store.open`; see :mod:`policies.storage.store`.
"""

from .records import (Draft, PolicyInfo, PolicyVersion, SimulationRun, SimulationRunInfo, TrafficSetInfo,
                      VersionInfo)
from .store import Store

__all__ = ["Draft", "PolicyInfo", "PolicyVersion", "SimulationRun", "SimulationRunInfo", "Store",
           "TrafficSetInfo", "VersionInfo"]
