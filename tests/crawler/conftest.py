"""Fixtures of the crawler tests: one slow server on 127.0.0.1 that counts the requests it has in flight."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

PAGES = 12


class CountingHandler(SimpleHTTPRequestHandler):
    """Serves files; each request stays in flight a little so that overlapping requests can be counted."""

    server: CountingServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.server.enter()
        try:
            time.sleep(0.02)  # the server is slow, so requests overlap; the test itself never sleeps
            super().do_GET()
        finally:
            self.server.leave()


class CountingServer(ThreadingHTTPServer):
    """One server on 127.0.0.1 that records the most requests it ever had in flight at once."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), partial(CountingHandler, directory=str(root)))
        self.lock = threading.Lock()
        self.inflight = self.peak = self.total = 0

    def enter(self) -> None:
        with self.lock:
            self.inflight += 1
            self.total += 1
            self.peak = max(self.peak, self.inflight)

    def leave(self) -> None:
        with self.lock:
            self.inflight -= 1

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def write_site(root: Path, name: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    links = "".join(f'<a href="/{name}/p{i}.html">第{i}页</a>' for i in range(PAGES))
    (folder / "index.html").write_text(f"<html><body>{links}</body></html>", encoding="utf-8")
    for i in range(PAGES):
        (folder / f"p{i}.html").write_text(f"<html><body><p>第{i}页</p></body></html>", encoding="utf-8")


@pytest.fixture
def shared_server(tmp_path: Path) -> Iterator[CountingServer]:
    """Two sites, a and b, on one server (one address, one port)."""
    for name in ("a", "b"):
        write_site(tmp_path, name)
    server = CountingServer(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def redis_server() -> str:
    """The redis-server binary `scrapy nightly --workers N` starts (scripts/test installs Redis)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but there is no redis-server: scripts/test installs it with apt-get")
        pytest.skip("no redis-server on this machine (scripts/test installs it)")
    return binary
