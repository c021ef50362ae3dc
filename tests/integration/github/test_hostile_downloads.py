"""The base tarball's download against hosts that misbehave on purpose: each ends in a
``BaselineError`` whose message says why (the action falls back to the artifact baseline and
shows it), never another exception, and within a bounded time, never a hang.

The API (the fake GitHub) redirects the tarball to :class:`~tests.fakegithub.hostile.HostileHost`,
a raw socket server that drops, trickles, loops or redirects where it should not. Each test
bounds its time generously ("not past three times the deadline"): a hang fails it, a busy
machine does not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from aiwf_ci.errors import BaselineError
from aiwf_ci.github.trees import base_tree
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.hostile import HostileHost, hostile_host
from tests.fakegithub.zips import tree_tarball

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
BUDGET = 4.0  # the client's time budget for the phase, seconds
BOUND = 3 * BUDGET  # "did not hang": never asserting speed
TIMEOUT = 1.0  # per read; the trickle sends a byte four times as often
TRICKLE = {"trickle_for": 40.0, "trickle_every": TIMEOUT / 4}


@pytest.fixture
def host() -> Iterator[HostileHost]:
    with hostile_host(**TRICKLE) as server:
        yield server


def fetch(tmp_path: Path, make_client: ClientFactory) -> tuple[str, float]:
    """Try the base tree; the reason it failed and how long that took."""
    client = make_client(time_budget=BUDGET, timeout=TIMEOUT)
    start = time.monotonic()
    with pytest.raises(BaselineError) as failed:
        base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=client)
    return str(failed.value), time.monotonic() - start


def to(host: HostileHost, location: str) -> str:
    """A redirect (from the hostile host) to ``location``, any text."""
    return host.url("/to?" + quote(location, safe=""))


CASES = {
    "dropped-mid-body": ("/drop", r"connection closed after 1024 bytes of the body"),
    "bad-content-encoding": ("/encoded", r"sent it encoded \('gzip'\)"),
    "redirect-loop": ("/loop", r"more than 5 redirects"),
    "file-redirect": ("to:file:///etc/passwd", r"a redirect to a file: URL, not http\(s\)"),
    "ftp-redirect": ("to:ftp://127.0.0.1/x.tar.gz", r"a redirect to a ftp: URL"),
    "javascript-redirect": ("to:javascript:alert(1)", r"a redirect to a javascript: URL"),
    "malformed-ipv6": ("to:http://[::1/x", r"a redirect to a malformed URL"),
    "malformed-port": ("to:http://127.0.0.1:99999999/x", r"a redirect to a malformed URL"),
    "space-in-host": ("to:http://exa mple.com/x", r"a redirect to a malformed URL|not resolve"),
    "no-host": ("to:https:///x", r"a redirect to a malformed URL"),
    "empty-location": ("/empty", r"a redirect without a Location"),
    "trickle": ("/trickle", r"the download did not finish within 4 s spent on the other phase"),
    "silent": ("/silent", r"ReadTimeout|time budget|did not answer within"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_hostile_archive_host_is_a_reason_within_the_deadline(
    case: str, tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory, host: HostileHost
) -> None:
    where, reason = CASES[case]
    location = to(host, where[3:]) if where.startswith("to:") else host.url(where)
    fake.redirect_tarball(SHA, location)
    message, elapsed = fetch(tmp_path, make_client)
    assert message.startswith("the base commit's tree is not available (")
    assert "tarball: download failed" in message
    assert re.search(reason, message), message
    assert "None" not in message
    assert fake.token not in message
    assert elapsed < BOUND, f"{case}: {elapsed:.1f}s, past three times the {BUDGET}s deadline"
    assert not [p for p in (tmp_path / "cache" / "trees").rglob("*") if p.is_file()]


def test_the_token_reaches_the_api_only_across_several_hosts(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory, host: HostileHost
) -> None:
    """API → archive host A → archive host B (the bytes): neither host sees the token."""
    source = tmp_path / "src"
    (source / ".aiwf").mkdir(parents=True)
    (source / ".aiwf" / "bench.yml").write_text("suite: s\n")
    with hostile_host() as other:
        final = other.put("tree.tar.gz", tree_tarball(source))
        fake.redirect_tarball(SHA, to(host, final))
        client = make_client(time_budget=BUDGET, timeout=TIMEOUT)
        tree, where = base_tree(
            sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=client
        )
        seen = host.requests + other.requests
    assert where == "tarball"
    assert (tree / ".aiwf" / "bench.yml").read_text() == "suite: s\n"
    assert len(seen) == 2
    assert all("Authorization" not in r and fake.token not in str(r) for r in seen)
    assert all(r.get("Accept-Encoding") == "identity" for r in seen)
    api = [r for r in fake.requests if "/tarball/" in r.path]
    assert api and api[0].headers.get("Authorization") == f"Bearer {fake.token}"
