"""A small route-table HTTP server for the hostile tests: path -> (status, headers, body); every request recorded."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = tuple[int, dict[str, str], str | bytes]


class Routes(BaseHTTPRequestHandler):
    """Answers from the server's route table: path -> (status, headers, body); records every request."""

    server: RouteServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def answer(self, *, body: bool) -> None:
        with self.server.lock:
            self.server.hits.append(self.path)
        status, headers, text = self.server.routes.get(
            self.path.split("?")[0], (404, {}, "<html>页面不存在</html>")
        )
        data = text.encode() if isinstance(text, str) else text
        self.send_response(status)
        headers = dict(headers)
        self.send_header("Content-Type", headers.pop("Content-Type", "text/html; charset=utf-8"))
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)


class RouteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Route] | None = None) -> None:
        super().__init__((host, 0), Routes)
        self.routes = routes or {}
        self.hits: list[str] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RouteServer:  # noqa: PYI034
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
