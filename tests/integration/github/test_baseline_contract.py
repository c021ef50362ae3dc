"""One contract for every baseline store (the ``BaselineStore`` protocol): the CLI's local
file and the action's workflow artifact (through a real client against the fake GitHub on
127.0.0.1) must answer the same situations the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError
from aiwf_ci.github.baseline import ArtifactBaselineStore, BaselineQuery, LocalBaselineStore
from aiwf_ci.models import results_from_dict
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import BASE_SHA, query, results_dict
from tests.fakegithub.zips import make_zip

#: (results.json content or None for "there is none") -> a store and the query to ask it
Setup = Callable[[bytes | None], tuple[LocalBaselineStore | ArtifactBaselineStore, BaselineQuery]]


@pytest.fixture(params=["local-file", "artifact"])
def setup(
    request: pytest.FixtureRequest, tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> Setup:
    def local(content: bytes | None) -> tuple[LocalBaselineStore, BaselineQuery]:
        path = tmp_path / "baseline.json"
        if content is not None:
            path.write_bytes(content)
        return LocalBaselineStore(path), query()

    def artifact(content: bytes | None) -> tuple[ArtifactBaselineStore, BaselineQuery]:
        if content is not None:
            run = fake.add_run(head_sha=BASE_SHA)
            fake.add_artifact(run["id"], make_zip({"results.json": content}))
        return ArtifactBaselineStore(make_client(), repository=fake.repo), query()

    return local if request.param == "local-file" else artifact


def test_a_valid_baseline_comes_back_whole(setup: Setup) -> None:
    data = results_dict()
    store, q = setup(json.dumps(data).encode())
    baseline = store.fetch(q)
    assert baseline.results == results_from_dict(data)
    assert baseline.head_sha == BASE_SHA
    assert baseline.source


def test_no_baseline_is_a_baseline_error_with_a_reason(setup: Setup) -> None:
    store, q = setup(None)
    with pytest.raises(BaselineError) as caught:
        store.fetch(q)
    assert str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"schema": "other/results@9"}', b"\xff\xfe", json.dumps([1, 2]).encode()],
    ids=["not-json", "other-schema", "not-utf8", "not-an-object"],
)
def test_an_unusable_results_file_is_a_baseline_error(setup: Setup, content: bytes) -> None:
    store, q = setup(content)
    with pytest.raises(BaselineError, match="results"):
        store.fetch(q)
