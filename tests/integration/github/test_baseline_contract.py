"""One contract for every baseline store (``models.baseline.BaselineStore``): the CLI's local
file and the action's workflow artifact (through a real client against the fake GitHub on
127.0.0.1) must answer the same situations the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError, ImpossibleValueError
from aiwf_ci.github.baseline import ArtifactBaselineStore
from aiwf_ci.models import results_from_dict
from aiwf_ci.models.baseline import BaselineStore, LocalBaselineStore
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import BASE_SHA, query, results_dict
from tests.fakegithub.zips import make_zip

#: (results.json content or None for "there is none") -> a store that knows what to look for
Setup = Callable[[bytes | None], BaselineStore]


@pytest.fixture(params=["local-file", "artifact"])
def setup(
    request: pytest.FixtureRequest, tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> Setup:
    def local(content: bytes | None) -> BaselineStore:
        path = tmp_path / "baseline.json"
        if content is not None:
            path.write_bytes(content)
        return LocalBaselineStore(path)

    def artifact(content: bytes | None) -> BaselineStore:
        if content is not None:
            run = fake.add_run(head_sha=BASE_SHA)
            fake.add_artifact(run["id"], make_zip({"results.json": content}))
        return ArtifactBaselineStore(make_client(), query(), repository=fake.repo)

    return local if request.param == "local-file" else artifact


def test_a_valid_baseline_comes_back_whole(setup: Setup) -> None:
    data = results_dict()
    baseline = setup(json.dumps(data).encode()).fetch()
    assert baseline.results == results_from_dict(data)
    assert baseline.head_sha == BASE_SHA
    assert baseline.source


def test_no_baseline_is_a_baseline_error_with_a_reason(setup: Setup) -> None:
    with pytest.raises(BaselineError) as caught:
        setup(None).fetch()
    assert str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"schema": "other/results@9"}', b"\xff\xfe", json.dumps([1, 2]).encode()],
    ids=["not-json", "other-schema", "not-utf8", "not-an-object"],
)
def test_an_unusable_results_file_is_a_baseline_error(setup: Setup, content: bytes) -> None:
    store = setup(content)
    with pytest.raises(BaselineError, match="results"):
        store.fetch()


def test_a_baseline_with_impossible_values_is_an_error_in_every_store(setup: Setup) -> None:
    """Negative durations are a damaged file, not a missing baseline: exit 2 everywhere."""
    data = results_dict()
    for bench in data["benchmarks"]:
        for metric in bench["metrics"].values():
            metric["samples"] = [-abs(x) - 0.001 for x in metric["samples"]]
    with pytest.raises(ImpossibleValueError, match="negative value") as caught:
        setup(json.dumps(data).encode()).fetch()
    assert caught.value.exit_code == 2
