"""Escaping of user- and PR-controlled text (benchmark names, errors, branch names, suite).

Anything a pull request can change may end up in a PR comment rendered by GitHub, in a job
summary, in an HTML file or on a terminal. These functions make such text render *as text*:

- ``md_escape``: for GitHub-flavoured Markdown, inline and inside table cells. HTML-special
  characters become entities (no ``<img onerror=...>``), Markdown punctuation is
  backslash-escaped (no links, emphasis, broken tables, list or heading at the start of a
  line, no autolinked ``http://``), ``@`` and ``#`` get a zero-width
  space after them so ``@team`` pings nobody and ``#12`` links nothing (``GH-12`` gets one
  after the dash, the other form of an issue reference), and newlines become spaces (a
  newline would end a table row).
- ``md_code``: one line of text as an inline code span (``name``) whose backtick fence is
  longer than any run in the text; ``@`` and ``#`` still get the zero-width space.
- ``md_code_block``: multi-line text (error messages) verbatim in a fenced block whose fence
  is longer than any backtick run in the text, so the text cannot close it.
- all three break our own hidden markers (``aiwf-ci:report``, ``aiwf-ci:history``) with a
  zero-width space after the colon: error output quoting a report must never carry a
  second marker that could make a comment or issue look like ours.
- ``safe_url``: only ``http(s)`` URLs, percent-encoded so they cannot end a Markdown link.
- ``comment_marker`` / ``history_marker``: the hidden markers that find the PR comment and
  the pinned trend issue; the suite name is percent-encoded so it cannot end the HTML
  comment (no ``--``, no ``>``).
- ``plain``: for terminals, control characters (ANSI escapes) removed.
- every one of them, and ``neutral`` for HTML, removes control characters and the Unicode
  bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C): a benchmark
  name with a right-to-left override would display another name than it is
  (``a\u202egnp.exe`` shows as ``aexe.png``).

HTML templates rely on Jinja2's autoescape (MarkupSafe) instead, after ``neutral``.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, urlsplit

from markupsafe import Markup

ZWSP = "\u200b"
_MD_BACKSLASH = set("\\`*_[]|~!")
_LINE_START = re.compile(r"^(?:[#+-](?:\s|$)|=+\s*$|#+\S)")
_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")
_WWW = re.compile(r"(?i)\bwww\.")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}
_NO_PING = {"@", "#"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_GH_REF = re.compile(r"(?i)\b(gh-)(?=\d)")
_MARKERS = re.compile(r"(?i)(aiwf-ci:)(?=report|history)")


def defuse(text: str) -> str:
    """Break issue references written ``GH-12`` and our own marker names with a zero-width
    space (``GH-\u200b12``, ``aiwf-ci:\u200breport``): shown alike, matched by neither."""
    return _MARKERS.sub(r"\1" + ZWSP, _GH_REF.sub(r"\1" + ZWSP, text))


def _md_char(char: str) -> str:
    if char in _MD_ENTITIES:
        return _MD_ENTITIES[char]
    if char in _MD_BACKSLASH:
        return "\\" + char
    if char in _NO_PING:
        return char + ZWSP
    return char


def md_escape(text: object) -> str:
    """One line of Markdown that displays ``text`` literally (see the module docstring)."""
    flat = _CONTROL.sub("", _NEWLINES.sub(" ", str(text)))
    escaped = "".join(_md_char(c) for c in defuse(flat)).replace("://", ":\\/\\/")
    escaped = _WWW.sub(lambda m: m.group(0)[:3] + "\\.", escaped)
    escaped = _ORDERED.sub(r"\1\\\2", escaped)
    return "\\" + escaped if _LINE_START.match(flat) else escaped


def md_code(text: object) -> str:
    """``text`` as an inline code span it cannot close (see the module docstring). Outside a
    table only: inside one, a ``|`` would still end the cell."""
    flat = _CONTROL.sub("", _NEWLINES.sub(" ", str(text)))
    if not flat.strip():
        return ""
    flat = "".join(c + ZWSP if c in _NO_PING else c for c in defuse(flat))
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat[0] in "` " or flat[-1] in "` " else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_code_block(text: object, *, max_chars: int | None = None) -> Markup:
    """``text`` verbatim in a fenced code block that it cannot close; optionally truncated."""
    body = _MARKERS.sub(r"\1" + ZWSP, _CONTROL.sub("", str(text).replace("\r\n", "\n")))
    body = body.rstrip("\n")
    if max_chars is not None and len(body) > max_chars:
        body = body[:max_chars].rstrip() + "\n… (truncated)"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    # Safe: inside a fence longer than any backtick run, nothing in ``body`` is interpreted.
    return Markup(f"{fence}text\n{body}\n{fence}")  # noqa: S704


def safe_url(url: object) -> str:
    """An ``http(s)`` URL safe inside ``[text](url)`` and ``href="..."``, else ``""``."""
    text = str(url or "").strip()
    if urlsplit(text).scheme not in ("http", "https"):
        return ""
    return quote(text, safe=":/?#[]@!$&'*+,;=%~-._")


MAX_SUITE_TOKEN = 200
"""The longest suite token a marker carries: a longer one is cut and ends with a hash of the
whole name, so a 70,000-character suite name still makes a short marker (the PR comment
must fit GitHub's 65,536 characters with its marker) and two long names stay apart."""


def suite_token(suite: str) -> str:
    """The suite name percent-encoded: letters, digits, ``_.~`` and single dashes survive;
    at most ``MAX_SUITE_TOKEN`` characters."""
    token = quote(suite, safe="").replace("--", "-%2D").replace("--", "-%2D")
    if len(token) <= MAX_SUITE_TOKEN:
        return token
    digest = hashlib.sha256(suite.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    head = token[: MAX_SUITE_TOKEN - len(digest) - 1]
    head = head[: head.rfind("%")] if "%" in head[-2:] else head  # never half an escape
    return f"{head.rstrip('-')}~{digest}"


def comment_marker(suite: str) -> str:
    """``<!-- aiwf-ci:report suite=NAME -->``: ends the rendered comment; posted, it is the
    comment's first line (``github.comments.prepare_body``), where the next run finds it."""
    return f"<!-- aiwf-ci:report suite={suite_token(suite)} -->"


def history_marker(suite: str) -> str:
    """``<!-- aiwf-ci:history suite=NAME -->``: finds and ends the pinned trend issue (a text
    distinct from the PR comment's, so neither search ever matches the other)."""
    return f"<!-- aiwf-ci:history suite={suite_token(suite)} -->"


def neutral(text: object) -> str:
    """``text`` without control characters or bidirectional controls (newlines and tabs
    kept): what HTML escaping leaves untouched but must not reach a reader."""
    return _CONTROL.sub("", str(text))


def plain(text: object) -> str:
    """One terminal-safe line: newlines to spaces, control characters (ANSI escapes) removed."""
    return _CONTROL.sub("", _NEWLINES.sub(" ", str(text)))
