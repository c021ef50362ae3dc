"""The load generator's ceiling (requests/s) next to Debian's ``wrk``, same server, same
concurrency, in one run.

    python benchmarks/load_vs_wrk.py [--concurrency 8] [--duration 5] [--repeat 3]

The server is a separate process answering every request with a fixed HTTP/1.1 keep-alive
response from a raw asyncio protocol (no parsing beyond counting request ends), so it is
not the bottleneck a stdlib ``ThreadingHTTPServer`` would be. ``wrk`` runs with one thread
(``-t1``): on a 2-core machine the server needs the other core, and the Python generator is
one core at most (the GIL; the ``raw`` engine is one thread by design). Runs are interleaved
(wrk, requests, http.client, raw, wrk, ...) and the median of each is printed, with the
median of its per-round ratios to wrk (each engine against the wrk run of the same round,
so a noisy neighbour slowing one round does not skew the ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import subprocess
import sys
import time

from aiwf_ci.loadgen import Engine, HTTPRequest, LoadOptions, http_factory, run_load

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n"
    b"Connection: keep-alive\r\n\r\nok"
)


class FixedResponse(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        data = self.pending + data
        count = data.count(b"\r\n\r\n")
        self.pending = data[data.rfind(b"\r\n\r\n") + 4 :] if count else data
        if count:
            self.transport.write(RESPONSE * count)  # type: ignore[attr-defined]


def serve(port: int) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(FixedResponse, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


def run_wrk(url: str, concurrency: int, duration: float) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{int(duration)}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s*([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def run_ours(url: str, engine: Engine, concurrency: int, duration: float) -> float:
    factory = http_factory(HTTPRequest(url=url), 5.0, engine)
    report = run_load(factory, LoadOptions(concurrency=concurrency, duration=duration))
    assert report.failed == 0, report.errors_by_kind
    return report.throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_for(port)
        measure(f"http://127.0.0.1:{port}/", args)
    finally:
        server.terminate()
        server.wait()


def measure(url: str, args: argparse.Namespace) -> None:
    c, d = args.concurrency, args.duration
    methods = {
        "wrk -t1": lambda: run_wrk(url, c, d),
        "aiwf-ci requests": lambda: run_ours(url, "requests", c, d),
        "aiwf-ci http.client": lambda: run_ours(url, "http.client", c, d),
        "aiwf-ci raw": lambda: run_ours(url, "raw", c, d),
    }
    rates: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeat):
        for name, method in methods.items():
            rates[name].append(method())
    wrk = rates["wrk -t1"]
    print(f"concurrency={c} duration={d:g}s repeat={args.repeat} (median req/s)")
    for name, values in rates.items():
        rate = statistics.median(values)
        ratio = statistics.median(v / w for v, w in zip(values, wrk, strict=True))
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name:<22} {rate:10.0f} req/s  {ratio:5.2f}x of wrk   [{runs}]")


if __name__ == "__main__":
    main()
