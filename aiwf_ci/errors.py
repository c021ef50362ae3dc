"""One exception tree for the whole package, so callers catch one base class.

Only the CLI and the action entry point turn these into exit codes (``exit_code``); the
library raises them and never exits or prints. Every message says what went wrong *and*
what to do about it, and never contains a token.

    AiwfCIError                 base; exit code 1 unless a subclass says otherwise
    ├── ConfigError             bad suite config, bad CLI/action input        (exit 2)
    │   └── ConfigErrors        several ConfigError problems found at once    (exit 2)
    ├── ResultsFormatError      a results.json that is not aiwf-ci/results@N  (exit 2)
    │   └── ImpossibleValueError  ... holding a value no measurement has (a negative time):
    │                             an error wherever it is read, a baseline included
    ├── IngestError             a harness output file we cannot parse         (exit 2)
    ├── BenchmarkError          a benchmark failed to run (crash, timeout)    (exit 3)
    │   └── SetupError          a tree's set-up commands failed: nothing measured
    ├── BaseTreeError           an A/B run's base tree could not be set up (the cause's code)
    ├── BaselineError           no usable baseline (reported as no-baseline)  (exit 0)
    │   └── ArtifactError       an artifact is missing, expired, too large, corrupt or unsafe
    ├── GitHubAPIError          the GitHub API failed after bounded retries   (exit 1)
    │   ├── GitHubHTTPError     ... with an error status (``status`` says which)
    │   ├── DownloadTooLarge    a download went over its size cap and was abandoned
    │   └── DownloadLate        a download's body was still coming at its deadline
    ├── CommentDataError        a fork run's comment data is unusable (nothing posted, exit 0)
    └── ReportError             a report template failed to render            (exit 1)
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_REGRESSION = 1
EXIT_BAD_INPUT = 2
EXIT_BENCHMARK_FAILED = 3


class AiwfCIError(Exception):
    """Base of every error aiwf-ci raises on purpose. ``details`` (optional) is supporting
    text such as a command's output tail: shown folded, never as the error line itself."""

    exit_code: int = 1
    details: str = ""


class ConfigError(AiwfCIError):
    """A suite config or an input is invalid.

    ``where`` is ``file:line`` (or a bare input name), ``field`` the dotted path of the
    offending key and ``fix`` what would be valid.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, where: str = "", field: str = "", fix: str = "") -> None:
        self.where = where
        self.field = field
        self.fix = fix
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = [p for p in (self.where, self.field) if p]
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        return f"{text} ({self.fix})" if self.fix else text


class ConfigErrors(ConfigError):
    """Several config problems, reported together (one line each)."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        self.problems = tuple(problems)
        AiwfCIError.__init__(self, "\n".join(p.one_line() for p in self.problems))
        self.where = self.field = self.fix = ""
        self.message = str(self)

    def one_line(self) -> str:
        return "\n".join(p.one_line() for p in self.problems)


class ResultsFormatError(AiwfCIError):
    """A results file is not valid ``aiwf-ci/results@N``."""

    exit_code = EXIT_BAD_INPUT


class ImpossibleValueError(ResultsFormatError):
    """A results file holds a value no measurement can have (a negative time, size or count):
    the file is damaged, so it is an error wherever it is read, a baseline included (a
    baseline that cannot be right must not quietly turn into "no baseline")."""


class IngestError(AiwfCIError):
    """A benchmark harness output file (pytest-benchmark, hyperfine, ...) cannot be parsed."""

    exit_code = EXIT_BAD_INPUT


class BenchmarkError(AiwfCIError):
    """A benchmark failed to run: non-zero exit, crash, timeout, import failure."""

    exit_code = EXIT_BENCHMARK_FAILED


class SetupError(BenchmarkError):
    """Setting up a source tree's environment failed (a set-up command failed or timed out):
    nothing was measured. ``details`` holds the last lines of the command's output."""

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class BaseTreeError(AiwfCIError):
    """The base tree of an A/B run could not be set up or loaded: the action falls back to
    another baseline, the CLI fails with the cause's exit code."""

    def __init__(self, message: str, cause: AiwfCIError | None = None) -> None:
        super().__init__(message)
        if cause is not None:
            self.exit_code = cause.exit_code
            self.details = cause.details


class BaselineError(AiwfCIError):
    """No usable baseline; the message is the ``no-baseline`` reason shown in the report."""

    exit_code = EXIT_OK


class ArtifactError(BaselineError):
    """An artifact is missing, expired, too large, corrupt or unsafe (message says which)."""


class GitHubAPIError(AiwfCIError):
    """The GitHub API failed after bounded retries (never contains the token)."""


class GitHubHTTPError(GitHubAPIError):
    """The API answered with an error status (after bounded retries); ``status`` says which."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class DownloadTooLarge(GitHubAPIError):
    """A download exceeded its size cap and was abandoned."""


class DownloadLate(GitHubAPIError):
    """A download's body was still coming at its deadline and was abandoned."""


class ReportError(AiwfCIError):
    """A report could not be rendered (template error, user template missing)."""


class CommentDataError(AiwfCIError):
    """The comment data a pull request's run uploaded is missing, malformed or does not match
    the run (``mode: comment``): nothing is posted, a warning says why."""


class Terminated(BaseException):
    """SIGTERM arrived (a runner's cancellation): raised like ``KeyboardInterrupt`` so every
    clean-up on the way out runs; the front ends exit 143. Not an ``AiwfCIError``, so no
    ``except AiwfCIError`` can swallow it."""
