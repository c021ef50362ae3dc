"""The ``aiwf-ci`` command: a thin layer over ``usecases`` and the library that maps results
and errors to output and exit codes.

Modules:
    main        the parser, the dispatch, and errors turned into one line and an exit code
    commands    one function per subcommand (run, compare, report, merge, import, validate)
    ab          ``aiwf-ci ab``: two trees in paired rounds (``usecases.ab``), then the verdict
    bisect      ``aiwf-ci bisect``: the first bad commit (``usecases.bisect``), step by step
"""

from aiwf_ci.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
