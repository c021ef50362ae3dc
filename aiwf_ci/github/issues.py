"""Two small GitHub conversations besides the PR comment:

- **the history issue**: one issue per suite, kept up to date with the base branch's change
  points (opt-in). Found by its label and the hidden marker at the end of its body (written
  by us), created once, then edited in place; never more than one. (The REST API cannot pin
  an issue; pin it once by hand.)
- **the acceptance label's audit**: who added the "regression accepted" label to a pull
  request, and when (the latest ``labeled`` event of that label), for the audit line the
  report shows when a regression is accepted on purpose.

Failures are ``GitHubAPIError`` (the callers turn them into warnings: history and audit
never fail a build).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiwf_ci.github.client import GitHubClient, api_errors
from aiwf_ci.github.comments import is_own_comment

HISTORY_LABEL = "aiwf-ci-history"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueOutcome:
    action: str
    number: int
    html_url: str


def upsert_history_issue(
    client: GitHubClient, *, title: str, body: str, marker: str, label: str = HISTORY_LABEL
) -> IssueOutcome:
    """Create the suite's history issue, or edit the one that ends with ``marker``."""
    repo = client.repo()
    with api_errors("listing history issues"):
        existing = next(
            (
                i
                for i in repo.get_issues(state="all", labels=[label])
                if is_own_comment(i.body, marker)
            ),
            None,
        )
    text = body if body.rstrip().endswith(marker) else f"{body.rstrip()}\n\n{marker}\n"
    listing = f"/repos/{client.settings.repository}/issues"
    if existing is None:
        with api_errors("creating the history issue"):
            created = repo.create_issue(title=title, body=text, labels=[label])
        client.invalidate(listing)  # the next run must see it (write-through)
        return IssueOutcome(
            action="created", number=int(created.number), html_url=str(created.html_url)
        )
    if existing.body == text:
        return IssueOutcome(
            action="skipped", number=int(existing.number), html_url=str(existing.html_url)
        )
    with api_errors("updating the history issue"):
        existing.edit(body=text)
    client.invalidate(listing)
    return IssueOutcome(
        action="updated", number=int(existing.number), html_url=str(existing.html_url)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelEvent:
    """Who added a label to an issue or pull request, and when (ISO 8601)."""

    label: str
    actor: str
    at: str


def label_event(client: GitHubClient, number: int, label: str) -> LabelEvent | None:
    """The latest ``labeled`` event of ``label`` on issue/PR ``number`` (one request)."""
    path = f"/repos/{client.settings.repository}/issues/{number}/events"
    events = client.get_json(path, {"per_page": 100})
    return latest_label_event(events if isinstance(events, list) else [], label)


def latest_label_event(events: list[Any], label: str) -> LabelEvent | None:
    """Pure: the latest ``labeled`` event of ``label`` in an events listing."""
    found = None
    for event in events:
        if not isinstance(event, Mapping) or event.get("event") != "labeled":
            continue
        if (event.get("label") or {}).get("name") != label:
            continue
        actor = (event.get("actor") or {}).get("login") or "someone"
        found = LabelEvent(
            label=label, actor=str(actor)[:100], at=str(event.get("created_at", ""))[:40]
        )
    return found
