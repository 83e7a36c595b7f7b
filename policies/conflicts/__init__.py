"""Conflict analysis of routing policies: solver-backed findings with witnesses, traffic weights and proven repairs."""

from .analysis import AnalysisOptions, ProfileAnalysis, Report, analyze_policy
from .diff import diff_policies
from .findings import ConflictFinding, Repair
from .repairs import propose_repairs
from .witness import Witness

__all__ = ["AnalysisOptions", "ConflictFinding", "ProfileAnalysis", "Repair", "Report", "Witness", "analyze_policy",
           "diff_policies", "propose_repairs"]
