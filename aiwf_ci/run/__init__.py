"""Running a suite: which benchmarks (``selection``), in what order (``runner`` for one tree,
``interleave`` for base and head alternately), on which machine (``environment``), and
joining shards (``merge``). Sits above ``workloads`` (one benchmark) and ``bench`` (the
instruments)."""
