"""Notification URLs in Apprise's syntax (registry column ``contact``, GOVHEALTH_NOTIFY_SUPERVISOR): split,
validate, mask their secrets. Apprise is imported on use (about 170 ms); nothing here sends anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from apprise import NotifyBase

MAX_CONTACTS = 10  # URLs of one site: a registry cell is a short list, not a mailing list
MAX_CONTACT_CHARS = 2048
_SEPARATOR = re.compile(r"[\s|]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
KNOWN_EXAMPLES = "mailto, mailtos, dingtalk, wecombot, feishu, lark, json"


def split_contacts(text: str) -> tuple[str, ...]:
    """The URLs of a cell or setting, separated by whitespace or ``|``, each once, in order."""
    return tuple(dict.fromkeys(u for u in _SEPARATOR.split(text) if u))


def contact_problems(urls: tuple[str, ...]) -> list[str]:
    """What is wrong with these notification URLs, without repeating any secret they hold."""
    if len(urls) > MAX_CONTACTS:
        return [f"contact has {len(urls)} URLs, more than {MAX_CONTACTS}"]
    problems = []
    for number, url in enumerate(urls, 1):
        label = f"contact {number}" if len(urls) > 1 else "contact"
        if problem := contact_problem(url):
            problems.append(f"{label} {problem}")
    return problems


def contact_problem(url: str) -> str | None:
    """Why ``url`` is no notification URL Apprise can send to (no secret in the message), or None."""
    if len(url) > MAX_CONTACT_CHARS:
        return f"is longer than {MAX_CONTACT_CHARS} characters"
    if _CONTROL.search(url):
        return "contains control characters"
    scheme, sep, _ = url.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        return f"is not a notification URL such as mailto://… or dingtalk://… ({KNOWN_EXAMPLES}, …)"
    if scheme.lower() not in _schemes():
        return f"has an unknown scheme {scheme + '://'!r}; Apprise knows {KNOWN_EXAMPLES} and many more"
    if load_contact(url) is None:
        return f"is not a valid {scheme.lower()}:// URL (see Apprise's documentation of that service)"
    return None


def load_contact(url: str) -> NotifyBase | None:
    """Apprise's plugin for ``url`` (kept in memory only, never on disk), or None when it is invalid."""
    from apprise import Apprise, AppriseAsset, PersistentStoreMode

    with captured_apprise_log():  # "Unparseable URL" would repeat the secrets on the log
        return Apprise.instantiate(url, asset=AppriseAsset(storage_mode=PersistentStoreMode.MEMORY))


def mask_contact(url: str) -> str:
    """``url`` with its secrets (passwords, tokens, keys) masked as Apprise masks them, and Apprise's
    default parameters left out; a URL Apprise cannot read shows its scheme only."""
    plugin = load_contact(url)
    scheme = url.partition("://")[0]
    if plugin is None:
        return f"{scheme}://…" if _SCHEME.fullmatch(scheme) else "…"
    masked = urlsplit(plugin.url(privacy=True))
    given = {key.lower() for key, _ in parse_qsl(urlsplit(url).query)}
    query = urlencode([(k, v) for k, v in parse_qsl(masked.query) if k.lower() in given])
    return unquote(urlunsplit(masked._replace(query=query)))


def channel_key(url: str) -> str:
    """A stable key of a notification URL for the sent-messages table (the URL itself holds secrets)."""
    return hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()


@contextmanager
def captured_apprise_log() -> Iterator[list[str]]:
    """Apprise's warnings and errors of the block, kept from the log and collected (one string each)."""
    messages: list[str] = []
    handler = _ListHandler(messages)
    logger = logging.getLogger("apprise")
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _schemes() -> frozenset[str]:
    from apprise import NotificationManager

    return frozenset(s.lower() for s in NotificationManager().schemas())
