"""Running a suite: which benchmarks (``selection``), in what order (``runner`` for one tree,
``interleave`` for base and head alternately, ``python_rounds`` for two live workers taking
turns, ``affinity`` for one CPU per round), on which machine (``environment``), and
joining shards (``merge``). Sits above ``workloads`` (one benchmark) and ``bench`` (the
instruments)."""
