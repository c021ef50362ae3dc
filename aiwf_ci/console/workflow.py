"""GitHub Actions workflow commands and file commands, escaped.

Anything a PR author controls (benchmark names, output) must be escaped before it is
written as a workflow command, or a name containing a newline could inject its own
``::set-output``/``::add-mask`` line. Escaping follows @actions/core: data escapes ``%``,
CR and LF; property values additionally ``:`` and ``,``.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """``::name key=value,...::message`` with every part escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def group(title: str) -> str:
    return command("group", title)


def endgroup() -> str:
    return "::endgroup::"


def stop_commands() -> tuple[str, str]:
    """The pair of lines around untrusted output: GitHub ignores workflow commands between
    them, since the resume token is random and unknown to whoever wrote the output."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}", f"::{token}::"


def folded(title: str, text: str) -> list[str]:
    """Lines showing ``text`` (untrusted) inside a collapsed log group titled ``title``."""
    stop, resume = stop_commands()
    return [group(title), stop, *text.splitlines(), resume, endgroup()]


def append_output(path: Path, name: str, value: str) -> None:
    """Append ``name=value`` to ``GITHUB_OUTPUT`` (heredoc form for multi-line values)."""
    with path.open("a", encoding="utf-8") as handle:
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            handle.write(f"{name}={value}\n")
