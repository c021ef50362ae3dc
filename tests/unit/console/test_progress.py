"""How a run looks while it runs: ticks during long work, a live line on a terminal, and
names that can never start a workflow command."""

from __future__ import annotations

import io
import time

from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, Settings
from aiwf_ci.console.progress import ProgressPrinter, one_line, results_table
from aiwf_ci.models import BenchmarkResult, Metric


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def bench(name: str = "b") -> BenchmarkConfig:
    return BenchmarkConfig(
        name=name, kind="command", workload=CommandSpec(command="x"), settings=Settings()
    )


def result(name: str = "b") -> BenchmarkResult:
    metric = Metric.from_samples([0.1, 0.11], unit="s")
    return BenchmarkResult(name=name, kind="command", metrics={"duration": metric})


def wait_for(stream: io.StringIO, text: str) -> bool:
    deadline = time.monotonic() + 10
    while text not in stream.getvalue():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_long_work_ticks_in_plain_logs() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, github_actions=False, tick_seconds=0.05)
    printer.started(bench(), 1, 1)
    assert wait_for(out, "still running")
    printer.finished(result(), 1.0)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/1] b (command) …"
    assert lines[-1].startswith("[1/1] b (command): ok in 1.0s")


def test_a_terminal_gets_a_live_line_with_the_last_sample() -> None:
    out = Terminal()
    printer = ProgressPrinter(out, github_actions=False)
    printer.started(bench(), 1, 2)
    printer.log(bench(), "run 3: 0.1000s wall, 0.0900s cpu")
    assert "\r\x1b[K[1/2] b (command) … run 3: 0.1000s wall" in out.getvalue()
    printer.finished(result(), 0.5)
    assert out.getvalue().endswith("\n")


def test_hostile_names_stay_one_harmless_line() -> None:
    assert one_line("::error::x\nmore") == " ::error::x more"
    table = results_table([result("::error::owned"), result("a\n::warning::b")])
    assert not any(line.startswith("::") for line in table.splitlines())
    assert len(table.splitlines()) == 4  # header, rule, two rows
    out = io.StringIO()
    printer = ProgressPrinter(out, github_actions=False)
    printer.started(bench("x\n::error::y"), 1, 1)
    printer.finished(result("x\n::error::y"), 0.1)
    assert not any(line.startswith("::") for line in out.getvalue().splitlines())


def test_a_local_set_up_shows_its_commands_and_aiwf_ci_s_timings_only() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, github_actions=False)
    with printer.section("aiwf-ci: setting up /t") as section:
        for line in ("aiwf-ci: virtualenv made in 40 ms", "$ pip install -e .", "Collecting x"):
            section.log(line)
    printer.note("aiwf-ci: ready\n::error::x")
    assert out.getvalue().splitlines() == [
        "aiwf-ci: setting up /t …",
        "  aiwf-ci: virtualenv made in 40 ms",
        "  $ pip install -e .",
        "aiwf-ci: ready ::error::x",
    ]
