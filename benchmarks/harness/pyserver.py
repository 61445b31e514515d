"""One worker of the Python fallback server: serves a directory on 127.0.0.1-9:PORT (SO_REUSEPORT, threaded).

Usage: ``python -m benchmarks.harness.pyserver ROOT PORT`` (servers.PythonServer starts one per core).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .sites import EXTERNAL_HOSTS, MAIN_HOST


class Handler(SimpleHTTPRequestHandler):
    """Static files over HTTP/1.1 keep-alive, without a log line per request."""

    protocol_version = "HTTP/1.1"
    extensions_map = {  # noqa: RUF012
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".doc": "application/msword",
        ".xls": "application/vnd.ms-excel",
    }

    def log_message(self, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("LinkChecker", "1")  # LinkChecker lifts its 10 requests/s per host limit
        super().end_headers()


class Server(ThreadingHTTPServer):
    """Shares the port with the other workers; a client that hangs up is not an error worth printing."""

    daemon_threads = True
    request_queue_size = 1024

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def serve(root: str, port: int) -> None:
    """Serve ``root`` on every benchmark address until SIGTERM."""
    servers = [Server((h, port), partial(Handler, directory=root)) for h in (MAIN_HOST, *EXTERNAL_HOSTS)]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    servers[0].serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
