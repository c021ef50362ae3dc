"""Memory profiling, in its own pass after the timed runs so it never disturbs a timing.

Modules:
    profiler    the command memory pass: repeated runs under the process-tree sampler
    sampler     a thread sampling RSS/USS of a process tree every interval
    tree        the process tree's memory (a /proc fast path, psutil otherwise)
    worker      the callable memory pass inside a python worker (tracemalloc, gc, leak trend)
    leak        the least-squares leak trend and its decision
    evidence    allocation sites and grown object types, for a leak alert
    convert     the worker's raw memory data -> metrics, alerts, series
    limits      max-peak alerts
    series      downsampling a time series for results.json
    outcome     MemoryOutcome, what a memory pass returns
"""
