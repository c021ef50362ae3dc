"""Running a suite: which benchmarks, in what order, on which machine. Sits above
``workloads`` (one benchmark) and ``bench`` (the instruments).

Modules:
    selection      which benchmarks: ``--only`` patterns and shards
    runner         one tree's suite, benchmark after benchmark
    interleave     base and head alternately, in rounds, until decided or out of time
    python_rounds  two live ``python:`` workers taking turns within a round
    affinity       one CPU for both sides of a round, when they fit on one
    project        a source tree set up in its own virtualenv
    environment    the machine's fingerprint and the commit under test
    merge          shards' results joined into one file
"""
