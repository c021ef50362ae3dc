"""GitHub's own example bodies (OpenAPI, @octokit/openapi 23.0.2), rewritten for a fake base.

PyGithub only follows URLs on the host and port of its ``base_url``, so every
``https://api.github.com`` becomes the fake's base and every example repository name becomes
the fake's repository.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).with_name("examples")
EXAMPLE_REPOS = ("octo-org/octo-repo", "octo-org/octo-docs", "octocat/Hello-World")


@cache
def _raw(name: str) -> str:
    return (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")


def example(name: str, *, base: str, repo: str) -> Any:
    """The example ``name`` (file stem) with URLs and repository names rewritten."""
    text = _raw(name).replace("https://api.github.com", base.rstrip("/"))
    for original in EXAMPLE_REPOS:
        text = text.replace(f"/{original}", f"/{repo}").replace(f'"{original}"', f'"{repo}"')
    return json.loads(text)


def first_item(name: str, key: str | None, *, base: str, repo: str) -> dict[str, Any]:
    """A deep copy of the first element of a list example (``key`` names the list field)."""
    data = example(name, base=base, repo=repo)
    items = data if key is None else data[key]
    return copy.deepcopy(dict(items[0]))


def rewrite(value: Any, *, base: str) -> Any:
    """Rewrite ``https://api.github.com`` inside an arbitrary JSON value."""
    return json.loads(json.dumps(value).replace("https://api.github.com", base.rstrip("/")))
