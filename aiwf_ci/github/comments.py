"""One PR comment per suite, found by a hidden marker and updated in place.

The comment that **starts** with ``<!-- aiwf-ci:report suite=NAME -->`` (its first line,
exactly) and was **written by the token's own login** is edited; otherwise one is created.
Another bot's comment that ends with, or quotes, the marker is never ours: authorship is the
login itself, never "some bot". When the login cannot be read (the Actions ``GITHUB_TOKEN``
and other app installation tokens: ``GET /user`` answers 403), ours means written by
``github-actions[bot]`` (``APP_BOT_LOGIN``), the identity ``GITHUB_TOKEN`` writes as; a
GitHub App's own token writes as ``name[bot]``, which cannot be told from another app, so its
old comment is not found and a new one is posted. Comments of earlier versions carried the
marker at the end: from our own login that form is still recognised (and rewritten with the
marker first), so an upgrade does not post a second comment. Every page of comments is read.
Creation is idempotent: when a POST fails in a way that might have landed (5xx, dropped
connection), the comments are listed again, uncached, before anything is re-posted. A
read-only token (fork PR: ``403 Resource not accessible by integration``) is a warning outcome,
not an error: the report still reaches the job summary.

After our own write the cached comment pages are amended in place (write-through), so a second
pass within the cache TTL sees its own comment without asking GitHub again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from github.Issue import Issue
from github.IssueComment import IssueComment

from aiwf_ci.errors import GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.client import GitHubClient, api_errors
from aiwf_ci.redaction import redact
from aiwf_ci.report import COMMENT_LIMIT, comment_marker

logger = logging.getLogger(__name__)

TRUNCATION_NOTE = "\n\n*(comment truncated: it exceeded GitHub's 65,536-character limit)*\n"
NOT_ACCESSIBLE = "Resource not accessible by integration"

Action = Literal["created", "updated", "skipped", "warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentOutcome:
    """What happened to the PR comment; ``warning`` explains a ``"warning"`` action."""

    action: Action
    html_url: str = ""
    comment_id: int | None = None
    warning: str = ""


def prepare_body(suite: str, body: str, *, limit: int = COMMENT_LIMIT) -> str:
    """The body to post: the suite's marker as its first line (moved there from the end,
    where the templates put it), at most ``limit`` characters; preparing it twice changes
    nothing.

    The renderers shorten details to fit; this cap is the last line of defence. It cuts the
    text after the marker, never the marker itself (at most ``MAX_SUITE_TOKEN`` characters
    of suite name), so the next run still finds (and updates) this comment instead of
    posting a second one.
    """
    mark = comment_marker(suite)
    text = redact(body).rstrip().removeprefix(f"{mark}\n")  # prepared already: the same
    text = text.removesuffix(mark).rstrip() if text.endswith(mark) else text
    full = f"{mark}\n{text}\n"
    if len(full) <= limit:
        return full
    keep = max(0, limit - len(TRUNCATION_NOTE) - len(mark) - 1)
    return f"{mark}\n{text[:keep]}{TRUNCATION_NOTE}"


def is_own_comment(body: str | None, mark: str) -> bool:
    """Ours when the marker is where we put it: the whole first line (or, as earlier versions
    wrote it, the very end). A marker quoted inside the text (error output, another suite's
    report pasted in) does not count. Authorship is checked apart (``written_by``)."""
    text = body or ""
    return text.partition("\n")[0].rstrip("\r") == mark or text.rstrip().endswith(mark)


def written_by(author: str | None, login: str) -> bool:
    """By the token's own login, exactly (``APP_BOT_LOGIN`` when the login cannot be read):
    never "any bot", so another app's comment or issue is never taken for ours."""
    return bool(author) and author == login


def upsert_comment(
    client: GitHubClient, repo: str, pr_number: int, suite: str, body: str
) -> CommentOutcome:
    """Create or update the suite's comment on PR ``pr_number`` of ``repo`` (``owner/name``)."""
    text = prepare_body(suite, body)
    try:
        return _Upsert(client, repo, pr_number, comment_marker(suite)).run(text)
    except GitHubHTTPError as exc:
        if _not_accessible(exc):
            return _read_only_warning()
        raise


def _not_accessible(exc: GitHubHTTPError) -> bool:
    return exc.status == 403 and NOT_ACCESSIBLE.lower() in str(exc).lower()


def _read_only_warning() -> CommentOutcome:
    return CommentOutcome(
        action="warning",
        warning=(
            "could not comment on the pull request: the token is read-only "
            f"({NOT_ACCESSIBLE}; fork PRs get a read-only GITHUB_TOKEN). The report is in "
            "the job summary; use mode: run plus a workflow_run job with mode: comment"
        ),
    )


class _Upsert:
    def __init__(self, client: GitHubClient, repo: str, pr: int, mark: str) -> None:
        self.client = client
        self.issue: Issue = client.repo(repo).get_issue(pr)
        self.list_path = f"/repos/{repo}/issues/{pr}/comments"
        self.mark = mark

    def run(self, text: str) -> CommentOutcome:
        login = self.client.authenticated_login()
        existing = self._find(login)
        if existing is None:
            return self._create(text, login)
        if existing.body == text:
            return _outcome("skipped", existing)
        return self._update(existing, text)

    def _find(self, login: str) -> IssueComment | None:
        """Every page is read; the oldest matching comment by ``login`` wins."""
        with api_errors("listing PR comments"):
            for comment in self.issue.get_comments():
                author = comment.user.login if comment.user is not None else None
                if written_by(author, login) and is_own_comment(comment.body, self.mark):
                    return comment
        return None

    def _create(self, text: str, login: str) -> CommentOutcome:
        try:
            with api_errors("creating the PR comment"):
                created = self.issue.create_comment(text)
        except GitHubAPIError as exc:
            if not _may_have_landed(exc):
                raise
            logger.warning("comment creation failed (%s); checking before re-posting", exc)
            self.client.invalidate(self.list_path)
            landed = self._find(login)
            if landed is not None:
                return _outcome("created", landed)
            with api_errors("creating the PR comment"):
                created = self.issue.create_comment(text)
        self.client.amend_cached_json(self.list_path, _append(dict(created.raw_data)))
        return _outcome("created", created)

    def _update(self, existing: IssueComment, text: str) -> CommentOutcome:
        try:
            with api_errors("updating the PR comment"):
                existing.edit(text)
        except GitHubHTTPError as exc:
            if not _not_accessible(exc):
                raise
            return CommentOutcome(
                action="warning",
                html_url=str(existing.html_url),
                comment_id=int(existing.id),
                warning=(
                    f"could not update the PR comment {existing.html_url}: GitHub refused the "
                    f"edit ({NOT_ACCESSIBLE}); the token is read-only or the comment is not "
                    "its own. The report is in the job summary"
                ),
            )
        self.client.amend_cached_json(self.list_path, _replace(int(existing.id), text))
        return _outcome("updated", existing)


def _outcome(action: Action, comment: IssueComment) -> CommentOutcome:
    return CommentOutcome(action=action, html_url=str(comment.html_url), comment_id=int(comment.id))


def _may_have_landed(exc: GitHubAPIError) -> bool:
    """A 5xx or a lost connection may hide a comment that was created anyway."""
    return not isinstance(exc, GitHubHTTPError) or exc.status >= 500


def _append(created: dict[str, Any]) -> Callable[[Any, bool], Any | None]:
    def edit(page: Any, is_last: bool) -> Any | None:
        if not is_last or not isinstance(page, list):
            return None
        if any(item.get("id") == created["id"] for item in page):
            return None
        return [*page, created]

    return edit


def _replace(comment_id: int, body: str) -> Callable[[Any, bool], Any | None]:
    def edit(page: Any, is_last: bool) -> Any | None:
        if not isinstance(page, list) or not any(i.get("id") == comment_id for i in page):
            return None
        return [{**i, "body": body} if i.get("id") == comment_id else i for i in page]

    return edit
