"""The verdict: is head worse than its baseline, and how sure are we?

compare       the gate on two results files (Hodges-Lehmann with Moses' interval)
significance  the rank tests and intervals it uses, pure Python
thresholds    threshold rules: parsing, layering, lookup
rules_json    threshold rules as plain JSON (for the fork-safe comment side)
model         the shapes of a verdict: Verdict, Status, Comparison, Report
machines      warnings when baseline and head ran on unlike machines
timer         which time the duration rule gates: CPU time, wall less the wait, wall
modes         how many groups (peaks) a set of values falls into
bimodal       two-peaked results get no single shift
"""

from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison

__all__ = ["Comparison", "compare"]
