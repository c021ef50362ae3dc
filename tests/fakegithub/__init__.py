"""A reusable, stateful fake GitHub for integration and end-to-end tests.

Usage::

    from tests.fakegithub import FakeGitHub, results_zip

    with FakeGitHub() as gh:                 # API on one port, artifact storage on another
        run = gh.add_run(head_sha="abc")     # seed state ...
        gh.add_artifact(run["id"], results_zip(results_dict))
        gh.fail(r"/comments$", 502, method="POST", after_apply=True)   # ... inject faults
        ...                                  # point GITHUB_API_URL at gh.base_url
        assert gh.count("POST", r"/comments$") == 1                  # ... and count requests

or the ``fake_github`` fixture from :mod:`tests.fakegithub.fixtures`.
"""

from tests.fakegithub.server import (
    MAX_COMMENT,
    NOT_ACCESSIBLE,
    FakeGitHub,
    FakeStorage,
    Fault,
    RecordedRequest,
)
from tests.fakegithub.zips import bomb_zip, corrupt_zip, make_zip, results_zip, symlink_zip

__all__ = [
    "MAX_COMMENT",
    "NOT_ACCESSIBLE",
    "FakeGitHub",
    "FakeStorage",
    "Fault",
    "RecordedRequest",
    "bomb_zip",
    "corrupt_zip",
    "make_zip",
    "results_zip",
    "symlink_zip",
]
