"""A hostile HTTP server (standard library, raw sockets) and a canary that records every connection.

``HostileServer`` answers by path with what a hostile or broken web server sends: decompression bombs,
endless, huge and dripping bodies, wrong Content-Length, resets, garbage, giant headers, hangs, redirect
chains and redirects into the private network, spider traps; the pages that link to them are given by the
test (``pages``). ``Canary`` listens on 127.0.0.2 and ::1 and records every connection it gets.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import socketserver
import struct
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import brotli

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:  # Python < 3.14
    from backports import zstd

MiB = 1024 * 1024
HEAD_LIMIT = 4 * MiB  # request heads up to 4 MiB: the crawler may send a 200 KB URL
CHUNK = 64 * 1024

NOT_FOUND = (
    b"<html><head><meta charset='utf-8'><title>404 Not Found</title></head><body><h1>404</h1></body></html>"
)


@dataclass
class Hit:
    """One request a server received."""

    at: float  # time.monotonic()
    method: str
    path: str  # raw request target
    host: str
    peer: str


@dataclass
class Exchange:
    """One request being answered: the parsed head and the socket to write the answer to."""

    server: HostileServer
    sock: socket.socket
    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def write(self, data: bytes) -> bool:
        """Send all of ``data``; False once the client has gone (or the server is stopping)."""
        view = memoryview(data)
        while view:
            if self.server.stopping.is_set():
                return False
            try:
                sent = self.sock.send(view[: 4 * CHUNK])
            except TimeoutError:
                continue
            except OSError:
                return False
            view = view[sent:]
        return True

    def respond(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
        *,
        length: int | None = None,
    ) -> bool:
        """A well-formed answer (Content-Length = len(body) unless ``length`` says otherwise)."""
        lines = [f"HTTP/1.1 {status} {http.client.responses.get(status, 'Unknown')}"]
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        lines += [f"{name}: {value}" for name, value in headers or []]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return self.write(head + (b"" if self.method == "HEAD" else body))

    def redirect(self, location: str, status: int = 302) -> bool:
        return self.respond(status, b"", headers=[("Location", location)])

    def wait(self, seconds: float) -> bool:
        """Pause an answer (a drip, a hang); False when the server is stopping."""
        return not self.server.stopping.wait(seconds)

    def hang(self) -> None:
        """Never answer: keep the connection open until the client or the server gives up."""
        self.sock.settimeout(0.5)
        while not self.server.stopping.is_set():
            try:
                if not self.sock.recv(CHUNK):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def reset(self) -> None:
        """Close with a TCP RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Route = Callable[[Exchange], bool | None]  # returns True to keep the connection open for another request


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        owner = self.server.owner
        sock: socket.socket = self.request
        sock.settimeout(0.5)
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        owner.note_connection(peer)
        buffer = b""
        while not owner.stopping.is_set():
            while b"\r\n\r\n" not in buffer:
                if len(buffer) > HEAD_LIMIT or owner.stopping.is_set():
                    return
                try:
                    data = sock.recv(CHUNK)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            while len(buffer) < length:
                try:
                    data = sock.recv(CHUNK)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buffer += data
            buffer = buffer[length:]
            exchange = Exchange(owner, sock, method.upper(), target, headers)
            owner.note_hit(exchange, peer)
            try:
                keep = owner.answer(exchange)
            except OSError:
                return
            if not keep or sock.fileno() < 0:
                return


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], owner: HostileServer, family: int) -> None:
        self.address_family = family
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Kept for the test's failure messages, not printed: clients going away is normal here."""
        self.owner.errors.append(traceback.format_exc())


class HostileServer:
    """A threaded HTTP/1.1 server on ``host`` (port chosen by the system) answering by path.

    ``pages`` maps exact paths to (content type, body) for the test's own pages; the behaviour routes
    are the ``route_*`` methods, chosen by the first path segment (``/bomb/gzip/page.html`` ->
    ``route_bomb``). ``robots`` is what /robots.txt does: "none" (404), "big", "delay", or a URL to
    redirect to. ``hits`` records every request, ``connections`` every connection.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        pages: dict[str, tuple[str, bytes]] | None = None,
        robots: str = "none",
        canary: Canary | None = None,
        family: int = socket.AF_INET,
    ) -> None:
        self.host = host
        self.pages = pages if pages is not None else {}
        self.robots = robots
        self.canary = canary
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.connections: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._tcp = _TCPServer((host, 0), self, family)
        self.port: int = self._tcp.server_address[1]
        self._thread = threading.Thread(
            target=self._tcp.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    # -- lifecycle ------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        # readiness: the listening socket exists already; one answered request proves the loop runs
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", "/__ready__")
            assert connection.getresponse().status == 204
        finally:
            connection.close()
        with self.lock:
            self.hits.clear()
            self.connections.clear()

    def stop(self) -> None:
        self.stopping.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        self._thread.join(timeout=10)

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def note_connection(self, peer: str) -> None:
        with self.lock:
            self.connections.append((time.monotonic(), peer))

    def note_hit(self, exchange: Exchange, peer: str) -> None:
        with self.lock:
            self.hits.append(
                Hit(
                    time.monotonic(), exchange.method, exchange.target, exchange.headers.get("host", ""), peer
                )
            )

    def hits_under(self, prefix: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path.startswith(prefix)]

    # -- routing --------------------------------------------------------------------------------------

    def answer(self, ex: Exchange) -> bool:
        if ex.target == "/__ready__":
            return ex.respond(204, b"")
        if ex.path in self.pages:
            content_type, body = self.pages[ex.path]
            return ex.respond(200, body, content_type)
        first = ex.path.strip("/").split("/", 1)[0].replace("-", "_").replace(".", "_")
        route = getattr(self, f"route_{first}", None)
        if route is None:
            return ex.respond(404, NOT_FOUND)
        return bool(route(ex))

    def route_robots_txt(self, ex: Exchange) -> bool:
        if self.robots == "big":  # 10 MB, a Crawl-delay only at its very end
            line = b"Disallow: /private/" + b"x" * 80 + b"\n"
            size = 10 * 1000 * 1000
            tail = b"User-agent: *\nCrawl-delay: 100000\n"
            count = (size - len(tail)) // len(line)
            if not ex.respond(200, b"", "text/plain", length=count * len(line) + len(tail)):
                return False
            if ex.method == "HEAD":
                return True
            block = line * (CHUNK // len(line))
            sent = 0
            while sent + CHUNK // len(line) <= count:
                if not ex.write(block):
                    return False
                sent += CHUNK // len(line)
            return ex.write(line * (count - sent) + tail)
        if self.robots == "delay":
            return ex.respond(200, b"User-agent: *\nCrawl-delay: 100000\nDisallow:\n", "text/plain")
        if self.robots.startswith("http"):
            return ex.redirect(self.robots, 302)
        return ex.respond(404, NOT_FOUND)

    def route_missing(self, ex: Exchange) -> bool:
        return ex.respond(404, NOT_FOUND)

    def route_ok(self, ex: Exchange) -> bool:
        if ex.path.endswith(".js"):
            return ex.respond(200, b"var ok = 1;\n", "text/javascript")
        return ex.respond(200, page("一切正常", "<p>本页内容正常。</p>"))

    # decompression bombs: /bomb/<encoding>/<name>; GET only (HEAD is refused, so the check GETs too)
    def route_bomb(self, ex: Exchange) -> bool:
        if ex.method != "GET":
            return ex.respond(405, b"", headers=[("Allow", "GET")])
        encoding = ex.path.split("/")[2]
        body = bomb(encoding)
        content_type = "text/javascript" if ex.path.endswith(".js") else "text/html; charset=utf-8"
        header = "gzip, gzip" if encoding == "gzip-gzip" else encoding
        return ex.respond(200, body, content_type, [("Content-Encoding", header)])

    # a 60 MB page (Content-Length given), a known 404 link at its start
    def route_huge(self, ex: Exchange) -> bool:
        if ex.method != "GET":
            return ex.respond(405, b"", headers=[("Allow", "GET")])
        size = 60 * 1000 * 1000
        start = head_html("huge", "/missing/huge-60mb.html")
        content_type = "text/javascript" if ex.path.endswith(".js") else "text/html; charset=utf-8"
        if not ex.respond(200, b"", content_type, length=size):
            return False
        filler = (b"<p>" + "大".encode() * 60 + b"</p>\n") * (CHUNK // 190)
        sent = len(start)
        if not ex.write(start):
            return False
        while sent + len(filler) <= size:
            if not ex.write(filler):
                return False
            sent += len(filler)
        return ex.write(b" " * (size - sent))

    # a chunked body that never ends, a known 404 link at its start
    def route_endless(self, ex: Exchange) -> bool:
        if ex.method != "GET":
            return ex.respond(405, b"", headers=[("Allow", "GET")])
        content_type = "text/javascript" if ex.path.endswith(".js") else "text/html; charset=utf-8"
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
        if not ex.write(head.encode() + chunked(head_html("endless", "/missing/endless.html"))):
            return False
        filler = chunked(b"<p>endless endless endless endless endless endless</p>\n" * 1000)
        while ex.write(filler):
            pass
        return False

    # behaviours at the transport level: /t/<behaviour>/<name>
    def route_t(self, ex: Exchange) -> bool:
        behaviour = ex.path.split("/")[2].replace("-", "_")
        script = ex.path.endswith(".js")
        content_type = "text/javascript" if script else "text/html; charset=utf-8"
        body = b"var x = 1;\n" * 50 if script else page("正常页面", "<p>" + "正文" * 200 + "</p>")
        body_level = behaviour in ("cl_long", "cl_short", "reset", "drip")
        if body_level and ex.method != "GET":
            return ex.respond(405, b"", headers=[("Allow", "GET")])
        if behaviour == "cl_long":  # promises 50,000 bytes, sends fewer, closes
            ex.respond(200, body[:1500], content_type, length=50_000)
            return False
        if behaviour == "cl_short":  # promises 40 bytes, sends the page and a smuggled 404 answer after it
            smuggled = (
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nsmuggled!"
            )
            return ex.respond(200, body + smuggled, content_type, length=40)
        if behaviour == "reset":  # a reset in the middle of the body
            ex.respond(200, body[:1200], content_type, length=len(body) + 100_000)
            ex.reset()
            return False
        if behaviour == "garbage":  # not HTTP at all
            ex.write(b"\x16\x03\x01\x00\xff\x00garbage \x00\xff\xfe not an HTTP answer\r\n\r\n" * 20)
            return False
        if behaviour == "cookies":  # 5,000 Set-Cookie headers (about 500 KB of header)
            cookies = [("Set-Cookie", f"c{i}={'v' * 80}; Path=/") for i in range(5000)]
            return ex.respond(200, body, content_type, cookies)
        if behaviour == "bigheader":  # one header of 1 MB
            return ex.respond(200, body, content_type, [("X-Big", "a" * MiB)])
        if behaviour == "hang":  # accepts, reads the request, never answers
            ex.hang()
            return False
        if behaviour == "drip":  # one byte per second
            if not ex.respond(200, b"", content_type, length=100_000):
                return False
            for byte in body:
                if not ex.write(bytes([byte])) or not ex.wait(1.0):
                    return False
            return False
        return ex.respond(404, NOT_FOUND)

    # redirects: /r/<kind>/<name>
    def route_r(self, ex: Exchange) -> bool:
        parts = ex.path.split("/")
        kind = parts[2].replace("-", "_")
        canary = self.canary
        if kind == "chain":  # /r/chain/<n>/<name>: n more hops
            hops = int(parts[3])
            if hops == 0:
                return ex.respond(200, page("链终点", "<p>终点</p>"))
            return ex.redirect(f"/r/chain/{hops - 1}/{parts[4]}", 302)
        if kind == "longloc":  # a 100 KB Location header (to a missing page)
            return ex.redirect(self.url("/missing/" + "a" * 100_000), 302)
        schemes = {
            "file": "file:///etc/passwd",
            "ftp": f"ftp://127.0.0.2:{canary.port if canary else 21}/r/ftp",
            "data": "data:text/html,<a href='http://127.0.0.2/'>x</a>",
            "javascript": "javascript:alert(document.cookie)",
        }
        if kind in schemes:
            return ex.redirect(schemes[kind], 302)
        if kind.startswith("canary") and canary is not None:  # canary-ip-302, canary-name-307 ...
            _, how, status = kind.split("_")
            host = "127.0.0.2" if how == "ip" else "canary.hostile.test"
            return ex.redirect(f"http://{host}:{canary.port}{ex.path}", int(status))
        return ex.respond(404, NOT_FOUND)

    # spider traps: /trap/cal/?date=, /trap/deep/..., /trap/sid/...
    def route_trap(self, ex: Exchange) -> bool:
        kind = ex.path.split("/")[2]
        if kind == "cal":
            day = ex.query.get("date", ["2026-01-01"])[0]
            year, month = (int(x) for x in day.split("-")[:2])
            links = [
                f'<a href="/trap/cal/?date={year:04d}-{month:02d}-{d:02d}">{d}</a>' for d in range(1, 29)
            ]
            nxt = (year + (month == 12), month % 12 + 1)
            prev = (year - (month == 1), (month - 2) % 12 + 1)
            links += [
                f'<a href="/trap/cal/?date={nxt[0]:04d}-{nxt[1]:02d}-01">下月</a>',
                f'<a href="/trap/cal/?date={prev[0]:04d}-{prev[1]:02d}-01">上月</a>',
            ]
            return ex.respond(200, page(f"日历 {day}", " ".join(links)))
        if kind == "deep":  # every page links two pages one level deeper
            return ex.respond(200, page(f"目录 {ex.path}", '<a href="a/">甲</a> <a href="b/">乙</a>'))
        if kind == "sid":  # a fresh session id in every URL
            stamp = time.monotonic_ns()
            links = [f'<a href="/trap/sid/p{i}.html?jsessionid={stamp:x}{i}">第{i}页</a>' for i in range(12)]
            links += [f'<img src="/trap/sid/i{i}.gif?jsessionid={stamp:x}{i}">' for i in range(12)]
            if ex.path.endswith(".gif"):
                return ex.respond(200, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif")
            return ex.respond(200, page("会话", " ".join(links)))
        return ex.respond(404, NOT_FOUND)

    def route_hangall(self, ex: Exchange) -> bool:
        ex.hang()
        return False


class CanaryServer(HostileServer):
    """Answers every request 200; the recording is all that matters."""

    def answer(self, ex: Exchange) -> bool:
        if ex.target == "/__ready__":
            return ex.respond(204, b"")
        return ex.respond(200, b"canary", "text/plain")


class Canary:
    """Listens on 127.0.0.2 and on ::1 and answers 200; every connection and request is recorded."""

    def __init__(self) -> None:
        self.v4 = CanaryServer("127.0.0.2")
        self.v6 = CanaryServer("::1", family=socket.AF_INET6)

    @property
    def port(self) -> int:
        return self.v4.port

    @property
    def port6(self) -> int:
        return self.v6.port

    def start(self) -> None:
        self.v4.start()
        self.v6.start()

    def stop(self) -> None:
        self.v4.stop()
        self.v6.stop()

    def seen(self) -> list[str]:
        """Every connection and request so far, one line each (empty: the canary was never touched)."""
        lines = []
        for server in (self.v4, self.v6):
            with server.lock:
                lines += [f"{server.base}: connection from {peer}" for _, peer in server.connections]
                lines += [f"{server.base}: {h.method} {h.path[:200]} (Host: {h.host})" for h in server.hits]
        return lines


# -- bodies -----------------------------------------------------------------------------------------------


def page(title: str, body: str) -> bytes:
    """A small well-formed HTML page."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}<p>发布日期：2026-11-20</p></body></html>"
    ).encode()


def head_html(title: str, planted: str) -> bytes:
    """The start of a hostile page: a known link to a missing page, before anything hostile."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f'<p><a href="{planted}">planted link</a></p>\n'
    ).encode()


def chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


BOMB_SIZES = {  # decoded bytes: gzip/deflate just under Scrapy's DOWNLOAD_MAXSIZE (32 MiB), the others above
    "gzip": 31 * MiB + MiB // 2,
    "deflate": 31 * MiB + MiB // 2,
    "br": 64 * MiB,
    "zstd": 64 * MiB,
    "gzip-gzip": 64 * MiB,
}
_BOMBS: dict[str, bytes] = {}
_BOMB_LOCK = threading.Lock()


def bomb_chunks(encoding: str) -> Iterator[bytes]:
    """The decoded bomb: a planted 404 link, then ``<a href>`` links up to BOMB_SIZES[encoding] bytes."""
    start = head_html(f"bomb {encoding}", f"/missing/bomb-{encoding}.html")
    yield start
    unit = b'<a href="/bomb-filler/x.html">x</a>\n'
    block = unit * (MiB // len(unit))
    left = BOMB_SIZES[encoding] - len(start)
    while left > 0:
        piece = block[:left]
        yield piece
        left -= len(piece)


def bomb(encoding: str) -> bytes:
    """The compressed body of a bomb (built once per process, streaming, a few tens of KB)."""
    with _BOMB_LOCK:
        if encoding not in _BOMBS:
            _BOMBS[encoding] = _compress(encoding, bomb_chunks(encoding))
        return _BOMBS[encoding]


def _compress(encoding: str, chunks: Iterator[bytes]) -> bytes:
    if encoding in ("gzip", "gzip-gzip", "deflate"):
        wbits = 31 if encoding != "deflate" else 15  # gzip container, or the zlib stream of "deflate"
        compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
        out = b"".join(compressor.compress(c) for c in chunks) + compressor.flush()
        return gzip.compress(out, 9) if encoding == "gzip-gzip" else out
    if encoding == "br":
        brotli_compressor = brotli.Compressor(quality=5)
        return b"".join(brotli_compressor.process(c) for c in chunks) + brotli_compressor.finish()
    if encoding == "zstd":
        zstd_compressor = zstd.ZstdCompressor(level=3)
        return b"".join(zstd_compressor.compress(c) for c in chunks) + zstd_compressor.flush()
    raise ValueError(encoding)
