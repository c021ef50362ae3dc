"""Run time of change-point detection on benchmark-like histories, and what it finds.

Each history is lognormal run-to-run noise (5% by default) with a few level steps.  For
100, 300 and 1,000 points this prints the median wall time of ``detect`` over a few
repeats, for the default sliding window (50 points) and for the whole series at once, and
the change points found next to the true ones.

    python benchmarks/changepoints_speed.py [--repeats 5] [--noise 0.05] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from aiwf_ci.history.changepoints import ChangePoint, ChangePointOptions, detect

SIZES = (100, 300, 1000)


def history(n: int, noise: float, seed: int) -> tuple[list[float], list[tuple[int, float]]]:
    """Noise around 1.0 with steps of +10%, -8%, +12%, +10% at each fifth of the series."""
    rng = random.Random(seed)
    factors = (1.1, 0.92, 1.12, 1.1)
    steps = [(n * k // 5, f) for k, f in zip(range(1, 5), factors, strict=True)]
    level, values = 1.0, []
    pending = list(steps)
    for i in range(n):
        while pending and pending[0][0] == i:
            level *= pending.pop(0)[1]
        values.append(level * rng.lognormvariate(0.0, noise))
    return values, steps


def timed(
    values: list[float], options: ChangePointOptions, repeats: int
) -> tuple[float, tuple[ChangePoint, ...]]:
    times: list[float] = []
    found: tuple[ChangePoint, ...] = ()
    for _ in range(repeats):
        started = time.perf_counter()
        found = detect(values, options)
        times.append(time.perf_counter() - started)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"noise {args.noise:.0%}, seed {args.seed}, median of {args.repeats} runs")
    for n in SIZES:
        values, steps = history(n, args.noise, args.seed)
        print(f"\n{n} points, true change points: {[at for at, _ in steps]}")
        for label, options in (
            ("window 50", ChangePointOptions()),
            ("whole series", ChangePointOptions(window=None)),
        ):
            seconds, found = timed(values, options, args.repeats)
            summary = ", ".join(
                f"{c.index} ({c.change:+.1%})" if c.change is not None else str(c.index)
                for c in found
            )
            truth = [at for at, _ in steps]
            misses = [min(abs(c.index - t) for t in truth) for c in found]
            print(
                f"  {label:<13} {seconds * 1000:8.1f} ms  {len(found)} found: {summary}"
                f"  (largest distance to a true one: {max(misses, default=0)})"
            )


if __name__ == "__main__":
    main()
