"""Hostile input to the real action entry point, in a child limited to 1 GiB of address space
(and the fixture's 180 s): a config that is not one, huge or self-multiplying YAML, and names
and output that try to become workflow commands. Each must end as one clear error or an
ordinary run: no traceback, no hang, no echo of what it should not show."""

from __future__ import annotations

from tests.e2e.conftest import Action

GIB = 1024**3
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n"
    for i in range(8)
)


def errors(run_stdout: str) -> list[str]:
    return [line for line in run_stdout.splitlines() if line.startswith("::error")]


def executed(stdout: str) -> list[str]:
    """The lines the runner would take as commands: outside ``::stop-commands::TOKEN`` ...
    ``::TOKEN::`` regions, where it takes none."""
    found, stop = [], ""
    for line in stdout.splitlines():
        if stop:
            stop = "" if line == f"::{stop}::" else stop
        elif line.startswith("::stop-commands::"):
            stop = line.removeprefix("::stop-commands::")
        elif line.startswith("::"):
            found.append(line)
    return found


def test_a_config_that_is_a_system_file_is_not_echoed(action: Action) -> None:
    run = action.run(
        "push", action.event("push.new-branch.json"), address_space=GIB, config="/etc/passwd"
    )
    assert run.code == 2, run.stdout + run.stderr
    (line,) = errors(run.stdout)
    assert "/etc/passwd" in line
    assert "root:" not in run.stdout + run.stderr + run.summary  # nothing of its content
    assert "Traceback" not in run.stdout + run.stderr


def test_a_five_megabyte_scalar_gives_a_short_error(action: Action) -> None:
    (action.workspace / "huge.yml").write_text("suite: " + "x" * 5_000_000 + "\nbenchmarks: 3\n")
    run = action.run(
        "push", action.event("push.new-branch.json"), address_space=GIB, config="huge.yml"
    )
    assert run.code == 2, run.stdout[-2000:] + run.stderr[-2000:]
    assert all(len(line) < 2000 for line in run.stdout.splitlines())
    assert errors(run.stdout) and "Traceback" not in run.stdout + run.stderr


def test_an_alias_bomb_is_refused_within_the_memory_limit(action: Action) -> None:
    config = "suite: bomb\n" + BOMB + "benchmarks:\n  - {name: b, command: 'true', env: {X: *i}}\n"
    (action.workspace / "bomb.yml").write_text(config)
    run = action.run(
        "push", action.event("push.new-branch.json"), address_space=GIB, config="bomb.yml"
    )
    assert run.code == 2, run.stdout[-2000:] + run.stderr[-2000:]
    (line,) = errors(run.stdout)
    assert "bomb.yml" in line and "alias" in line.lower()
    assert "Traceback" not in run.stdout + run.stderr and "MemoryError" not in run.stderr


def test_names_and_output_cannot_become_workflow_commands(action: Action) -> None:
    (action.workspace / ".aiwf" / "bench.yml").write_text(
        "suite: s\ndefaults: {warmup: 0, iterations: 5, memory: false}\nbenchmarks:\n"
        '  - name: "::error::pwned"\n'
        "    command: \"echo '::warning::from the benchmark'; echo '::set-output name=x::y'\"\n"
        '  - name: "fails %0A::error::second line"\n'
        "    command: \"echo '::error::in stderr' >&2; exit 3\"\n"
    )
    run = action.run("push", action.event("push.new-branch.json"), address_space=GIB)
    commands = executed(run.stdout)
    assert commands, run.stdout  # the action's own commands are there ...
    ours = {"add-mask", "group", "endgroup", "error", "warning", "notice"}
    assert {line[2:].split("::")[0].split(" ")[0] for line in commands} <= ours
    hostile = (
        "::error::pwned",
        "::warning::from",
        "::set-output",
        "::error::second",
        "::error::in",
    )
    assert not [line for line in commands if line.startswith(hostile)]
    # a name's percent sign and colons are escaped in an annotation's properties, never raw
    # (a newline in a name is refused by the config reader)
    failed = next(x for x in commands if x.startswith("::error title=") and "fails" in x)
    assert "%250A%3A%3Aerror%3A%3Asecond line" in failed
    assert "Traceback" not in run.stdout + run.stderr
