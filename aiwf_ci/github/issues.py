"""Two small GitHub conversations besides the PR comment:

- **the history issue**: one issue per suite, kept up to date with the base branch's change
  points (opt-in). Found by its label, the hidden marker at the end of its body **and its
  author**: the token's own login when it can be read; else (``GITHUB_TOKEN``: ``GET /user``
  answers 403) an issue written by ``github-actions[bot]`` with our exact title. Anyone with
  triage rights can label an issue and paste a marker, so an issue someone else wrote is
  never edited: ours is created beside it. Created once, then edited in place. (The REST API
  cannot pin an issue; pin it once by hand.)
- **the acceptance label**: whether a pull request carries a label *now* (the event's copy
  of the labels is as old as the event: a label removed since must not accept anything), and
  who added it, when (the latest ``labeled`` event of that label), for the audit line the
  report shows when a regression is accepted on purpose.

Failures are ``GitHubAPIError`` (the callers turn them into warnings: history and audit
never fail a build).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiwf_ci.github.client import APP_BOT_LOGIN, GitHubClient, api_errors
from aiwf_ci.github.comments import written_by

HISTORY_LABEL = "aiwf-ci-history"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueOutcome:
    action: str
    number: int
    html_url: str


def upsert_history_issue(
    client: GitHubClient, *, title: str, body: str, marker: str, label: str = HISTORY_LABEL
) -> IssueOutcome:
    """Create the suite's history issue, or edit ours (``is_own_issue``)."""
    repo = client.repo()
    login = client.authenticated_login()
    with api_errors("listing history issues"):
        existing = next(
            (
                i
                for i in repo.get_issues(state="all", labels=[label])
                if is_own_issue(
                    i.user.login if i.user is not None else None,
                    i.title,
                    i.body,
                    login=login,
                    title=title,
                    marker=marker,
                )
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


def is_own_issue(
    author: str | None,
    found_title: str | None,
    body: str | None,
    *,
    login: str,
    title: str,
    marker: str,
) -> bool:
    """Pure: the history issue is ours when its body ends with ``marker`` and we wrote it —
    by ``login`` exactly; when the login could not be read (``APP_BOT_LOGIN``), by that bot
    and with our exact ``title`` as well."""
    if not (body or "").rstrip().endswith(marker) or not written_by(author, login):
        return False
    return login != APP_BOT_LOGIN or found_title == title


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelEvent:
    """Who added a label to an issue or pull request, and when (ISO 8601)."""

    label: str
    actor: str
    at: str


def current_labels(client: GitHubClient, number: int) -> set[str]:
    """The labels issue/PR ``number`` carries now (one request, uncached: a label removed a
    minute ago must be seen as removed)."""
    path = f"/repos/{client.settings.repository}/issues/{number}/labels"
    client.invalidate(path)
    items = client.get_json(path, {"per_page": 100})
    if not isinstance(items, list):
        return set()
    return {str(x["name"]) for x in items if isinstance(x, Mapping) and x.get("name")}


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
