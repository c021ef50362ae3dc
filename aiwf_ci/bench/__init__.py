"""The instruments: process timing (``process``), the wait for a CPU and CPU pinning
(``schedstat``), instruction counts (``instructions``, ``valgrind``) and the memory profiler
(``memory/``).

The lowest layer of measuring: it knows processes, clocks and samplers, not configs of whole
suites; ``workloads`` builds benchmarks on top of it and ``run`` orchestrates those.

Modules:
    process         run a shell command: wall and CPU time, I/O, output tails
    reaper          end a process tree and all it started (subreaper, tokens, TERM then KILL)
    cleanup         clean-up that a second Ctrl-C cannot cut short
    schedstat       the time runnable but waiting for a CPU; pinning to one CPU
    reference       a fixed loop timed beside every sample: the machine's speed of the moment
    instructions    instruction counts under Valgrind, for commands and Python callables
    valgrind        the Valgrind mechanics beneath them: options, running, reading out files
    memory/         the memory profiler
"""
