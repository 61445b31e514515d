"""Send one message to one notification URL through Apprise: a result, never an exception or a traceback."""

from __future__ import annotations

import logging

from pipelines.rules.contacts import captured_apprise_log, load_contact
from pipelines.rules.notices.messages import Message

logger = logging.getLogger(__name__)


def send(url: str, message: Message) -> str | None:
    """Send ``message`` to ``url`` as plain text; None when it was delivered, else why not (one line,
    from Apprise's own warnings, never repeating the URL's secrets)."""
    from apprise import NotifyFormat

    plugin = load_contact(url)
    if plugin is None:
        return "not a valid notification URL"
    with captured_apprise_log() as said:
        try:
            ok = plugin.notify(body=message.body, title=message.title, body_format=NotifyFormat.TEXT)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug must not stop the other messages
            said.append(f"{type(exc).__name__}: {exc}")
            ok = False
    if ok:
        return None
    return " ".join(line.strip() for line in said)[:300] or "the service did not accept the message"
