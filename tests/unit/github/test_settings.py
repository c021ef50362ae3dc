"""Settings and stats of the GitHub client: explicit, validated, token-free repr."""

from __future__ import annotations

from pathlib import Path

import pytest

import aiwf_ci.github as gh
from aiwf_ci.github.cache import token_sha256
from aiwf_ci.github.settings import ApiStats, ClientSettings

TOKEN = "ghp_secretSECRETsecretSECRET0123456789"


def settings(**overrides: object) -> ClientSettings:
    values: dict[str, object] = {
        "token": TOKEN,
        "api_url": "https://ghe.example.com/api/v3",
        "repository": "octo/repo",
        "cache_dir": Path("/tmp/x"),
    }
    values.update(overrides)
    return ClientSettings(**values)  # type: ignore[arg-type]


def test_repr_hides_the_token() -> None:
    assert TOKEN not in repr(settings())
    assert settings().ttl == 300


@pytest.mark.parametrize(
    ("field", "value"), [("repository", "noslash"), ("repository", "a/b/c"), ("api_url", "ftp://x")]
)
def test_invalid_settings(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        settings(**{field: value})


def test_token_hash_is_sha256() -> None:
    digest = token_sha256(TOKEN)
    assert len(digest) == 64
    assert TOKEN not in digest


def test_stats_as_dict() -> None:
    assert ApiStats().as_dict()["hit_rate"] is None
    data = ApiStats(requests_sent=4, not_modified=2, cache_hits=4).as_dict()
    assert data["hit_rate"] == 0.75
    assert data["requests_sent"] == 4


def test_public_names_resolve() -> None:
    for name in gh.__all__:
        assert getattr(gh, name) is not None
    with pytest.raises(AttributeError):
        gh.nope  # noqa: B018
