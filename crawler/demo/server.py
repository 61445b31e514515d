"""A small threaded HTTP server for local sites: static files plus behaviours real sites show.

Used by the README's demo and by the tests; it binds to 127.0.0.1 only. Behaviour routes:
/status/<code>, /flaky/<key>/<n> (503 n times, then 200), /ratelimit/<key>/<n> (429 with
Retry-After n times), /head405/<name>, /redirect-chain/<n>, /slow/<seconds>, /loop, /reset,
/endless, /gate/ruishu, /gate/jsl, /gate/waf, /to-error, /to-home/<path>, /attachment-error/<f>.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ERROR_PAGE = (
    "<html><head><meta charset='utf-8'><title>404 页面不存在</title></head>"
    "<body><h1>您访问的页面不存在或已被删除</h1><a href='/'>返回首页</a></body></html>"
)


class SiteHandler(SimpleHTTPRequestHandler):
    """Serve files from the site directory, and the behaviour routes of the module docstring."""

    server: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the tests and the demo print their own output."""

    def do_HEAD(self) -> None:
        self.route("HEAD")

    def do_GET(self) -> None:
        self.route("GET")

    def route(self, method: str) -> None:
        path = unquote(urlsplit(self.path).path)
        self.server.hits[(method, path)] += 1
        self.server.user_agents.add(self.headers.get("User-Agent", ""))
        parts = path.strip("/").split("/")
        handler = getattr(self, "route_" + parts[0].replace("-", "_"), None) if parts else None
        if handler is None:
            if method == "HEAD":
                super().do_HEAD()
            else:
                super().do_GET()
            return
        handler(method, parts[1:])

    def send_body(
        self,
        status: int,
        body: str | bytes = "",
        content_type: str = "text/html; charset=utf-8",
        **headers: str,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def page(self, title: str) -> str:
        return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><p>{title}</p></body></html>"

    def route_status(self, method: str, args: list[str]) -> None:
        code = int(args[0])
        self.send_body(code, self.page(f"status {code}") if code >= 200 and code != 204 else "")

    def counted(self, key: str) -> int:
        with self.server.lock:
            self.server.counters[key] += 1
            return self.server.counters[key]

    def route_flaky(self, method: str, args: list[str]) -> None:
        if self.counted("flaky/" + args[0]) <= int(args[1]):
            self.send_body(503, self.page("Service Unavailable"))
        else:
            self.send_body(200, self.page("recovered"))

    def route_ratelimit(self, method: str, args: list[str]) -> None:
        if self.counted("ratelimit/" + args[0]) <= int(args[1]):
            self.send_body(429, self.page("Too Many Requests"), Retry_After="1")
        else:
            self.send_body(200, self.page("after the rate limit"))

    def route_head405(self, method: str, args: list[str]) -> None:
        if method == "HEAD":
            self.send_body(405, "", Allow="GET")
        else:
            self.send_body(200, b"%PDF-1.4 demo", "application/pdf")

    def route_redirect_chain(self, method: str, args: list[str]) -> None:
        step = int(args[0]) if args else 0
        if step == 0:
            self.send_body(301, "", Location="/redirect-chain/1")
        elif step == 1:
            self.send_body(302, "", Location="/redirect-chain/2")
        else:
            self.send_body(200, self.page("end of the redirect chain"))

    def route_slow(self, method: str, args: list[str]) -> None:
        time.sleep(float(args[0]))
        self.send_body(200, self.page("slow but fine"))

    def route_loop(self, method: str, args: list[str]) -> None:
        self.send_body(302, "", Location="/loop")

    def route_reset(self, method: str, args: list[str]) -> None:
        self.close_connection = True
        self.connection.close()

    def route_endless(self, method: str, args: list[str]) -> None:
        """An endless HTML page: the crawler must stop reading, not hang or run out of memory."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.close_connection = True
        if method == "HEAD":
            return
        chunk = ("<p>" + "无尽的内容 " * 200 + "</p>\n").encode()
        try:
            self.wfile.write(b"<html><head><title>endless</title></head><body>")
            for _ in range(100_000):  # bounded: about 2.6 GB, far beyond any page budget
                self.wfile.write(chunk)
        except OSError:
            pass

    def route_gate(self, method: str, args: list[str]) -> None:
        kind = args[0]
        if kind == "ruishu":
            self.send_body(
                412, "<html><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=1234;</script></html>"
            )
        elif kind == "jsl":
            self.send_body(
                521, "<script>document.cookie=('__jsl_clearance=1');location.href=location.pathname</script>"
            )
        else:
            self.send_body(
                403,
                "<html><title>访问被拦截</title><body>您的访问请求可能对网站造成安全威胁，已被Web应用防火墙拦截</body></html>",
            )

    def route_to_error(self, method: str, args: list[str]) -> None:
        self.send_body(302, "", Location="/404.html")

    def route_to_home(self, method: str, args: list[str]) -> None:
        self.send_body(302, "", Location="/")

    def route_attachment_error(self, method: str, args: list[str]) -> None:
        self.send_body(200, ERROR_PAGE)


class SiteServer(ThreadingHTTPServer):
    """A site served from ``root`` on 127.0.0.1 (port 0 picks a free one) in a daemon thread."""

    daemon_threads = True

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), partial(SiteHandler, directory=str(root)))
        self.root = Path(root)
        self.hits: Counter[tuple[str, str]] = Counter()
        self.counters: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up early (timeouts, truncated pages) is normal here: stay quiet."""

    def __enter__(self) -> SiteServer:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.counters.clear()
            self.user_agents.clear()
