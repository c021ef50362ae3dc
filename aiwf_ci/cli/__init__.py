"""The ``aiwf-ci`` command: ``main`` parses and dispatches, ``commands`` holds one function per
subcommand, ``ab`` the interleaved A/B run. A thin layer over the library and ``usecases``."""

from aiwf_ci.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
