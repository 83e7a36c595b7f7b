"""Offline simulation of routing policies over logged traffic (no UI imports).

``simulate(policy, traffic)`` routes every request exactly as the router would (signals →
rule trees → ranking → model selection) and estimates cost, latency and quality; a
:class:`Simulator` keeps raw signal scores so policy variants re-simulate without re-running models.
"""

from .engine import Simulator, simulate
from .result import SimulationResult

__all__ = ["SimulationResult", "Simulator", "simulate"]
