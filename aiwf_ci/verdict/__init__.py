"""The verdict: is head worse than its baseline, and how sure are we?

Modules:
    compare       the gate on two results files: each metric through the gate that fits it
    gate          what every gate shares: the row, the absolute minimum, worse on the log scale
    blocks        two blocks of runs, unpaired (Hodges-Lehmann with Moses' interval)
    spread        the base side's run-to-run spread, from its history: what separate runs
                  need to tell a change from the machine's mood
    rounds        interleaved rounds, paired, under the stopping rule
    pairing       whether two files' rounds may be paired: only rounds of one run (run ids)
    exact         deterministic counts, the change itself against the threshold
    bimodal       two-peaked results get no single shift
    modes         how many groups (peaks) a set of values falls into
    significance  the unpaired rank tests and intervals, pure Python
    paired        the paired rank test and interval on per-round log-ratios, pure Python
    sequential    sampling until decided: the decision at each look, and its replay
    design        the stopping rule's design: how many rounds, when to look, what each spends
    reach         what the rule can show at a measured noise: the smallest detectable change
    independence  are the rounds independent? if not, batch means of consecutive rounds
    thresholds    threshold rules: parsing, layering, lookup
    rules_json    threshold rules as plain JSON: recorded in results.json (replays judge by
                  them) and in comment.json (the fork-safe comment side)
    model         the shapes of a verdict: Verdict, Status, Comparison, Report
    machines      warnings when baseline and head ran on unlike machines
    timer         which time the duration rule gates: CPU time, wall less the wait, wall
    speed         CPU time at the reference speed: what separate runs compare unpaired
"""

from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison

__all__ = ["Comparison", "compare"]
