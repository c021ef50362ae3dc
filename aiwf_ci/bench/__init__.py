"""The instruments: process timing (``process``), the wait for a CPU and CPU pinning
(``schedstat``), instruction counts (``instructions``, ``valgrind``) and the memory profiler
(``memory/``).

The lowest layer of measuring: it knows processes, clocks and samplers, not configs of whole
suites; ``workloads`` builds benchmarks on top of it and ``run`` orchestrates those."""
