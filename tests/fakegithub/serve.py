"""The fake GitHub as a process of its own, for scripts that run the action's container
(``scripts/container-smoke.sh``): ``python -m tests.fakegithub.serve READY LOG``.

Starts the fake API and its storage host on 127.0.0.1 (reachable from a container run with
``--network host``), writes ``READY`` (JSON: ``base_url``, ``token``, ``repo``) once it
answers, and serves until SIGTERM or SIGINT; then writes every request it received to ``LOG``,
one ``METHOD PATH`` line each (the storage host's prefixed ``storage``), and exits.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from tests.fakegithub.server import FakeGitHub


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.fakegithub.serve READY LOG", file=sys.stderr)
        return 2
    ready, log = Path(argv[0]), Path(argv[1])
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with FakeGitHub() as fake:
        info = {"base_url": fake.base_url, "token": fake.token, "repo": fake.repo}
        staging = ready.with_suffix(".tmp")
        staging.write_text(json.dumps(info), encoding="utf-8")
        staging.replace(ready)
        stop.wait()
        lines = [f"{r.method} {r.path}" for r in fake.requests]
        lines += [f"storage {r.method} {r.path}" for r in fake.storage.requests]
    log.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
