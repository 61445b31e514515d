"""Local notification receivers for the tests: an SMTP server (aiosmtpd) and a JSON webhook, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from aiosmtpd.smtp import SMTP, Envelope, Session


class SmtpReceiver:
    """An SMTP server on 127.0.0.1 in a thread; ``messages`` holds every mail received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append(message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(self.loop.create_server(lambda: SMTP(self), "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()  # listening from here on
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the SMTP receiver did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def texts(self) -> list[str]:
        """The plain-text body of every mail received."""
        return [m.get_body(("plain",)).get_content() for m in self.messages]  # type: ignore[union-attr]


class WebhookReceiver:
    """A JSON webhook on 127.0.0.1: ``posts[path]`` holds the JSON bodies received there.

    Made with ``listening=False`` its port is bound but refuses connections until ``listen()``.
    """

    def __init__(self, *, listening: bool = True) -> None:
        self.posts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.posts[self.path].append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.server_bind()  # the port is ours; connecting is refused until server_activate()
        self.port = self.server.server_address[1]
        self.thread: threading.Thread | None = None
        if listening:
            self.listen()

    def listen(self) -> None:
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
        self.server.server_close()
