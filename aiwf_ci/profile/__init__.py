"""Why a benchmark changed: per-function profiles of base and head, and their difference.

A verdict says *that* a benchmark got slower; a reviewer's next question is *where*. Every
measure is read into one shape (``model.Profile``: per function, self and inclusive cost),
so one difference (``diff``) serves them all:

Modules:
    model      a profile (per function: self and inclusive cost) and one line of a difference
    callgrind  Callgrind's output file read into a profile (instructions, per function)
    cprofile   a ``cProfile``/``pstats`` dump read into a profile (seconds, per function)
    bytecode   Python bytecode instructions counted per Python function, in Callgrind's format
    diff       base against head: the functions that account for the change, largest first
"""
