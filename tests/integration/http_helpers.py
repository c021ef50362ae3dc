"""A real HTTP server on 127.0.0.1 for tests: start it with a handler class, get its base URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    """A listen backlog that takes a burst of simultaneous connections: the default (5)
    makes the kernel drop SYNs of a 20-way burst, and a client then waits for the 1 s SYN
    retransmit, which on a busy machine runs into its connect timeout."""

    request_queue_size = 128


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port until the block ends; yields ``http://127.0.0.1:PORT``."""
    httpd = Server(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
