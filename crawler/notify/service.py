"""One pass of `scrapy notify`: plan the messages not sent yet, send each, record each attempt.

A site's message is about its latest inspected run (subject ``run:<id>``); the digest is about the latest runs of
every site (``digest:<sha1 of their ids>``). A channel that got a subject's message never gets it again; a failed
one is retried by the next pass, and never holds up the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from crawler.notify.config import NotifyConfig
from crawler.notify.send import send
from models.notification import record_attempt, sent_channels
from pipelines.notices import SiteState, gather_states
from pipelines.rules.contacts import channel_key, mask_contact
from pipelines.rules.notices.messages import Message, digest_message, site_message
from pipelines.rules.rulesfile import RuleSet

logger = logging.getLogger(__name__)


class Sessions(Protocol):
    """GovHealthCommand.session: a session, in one transaction when ``write``."""

    def __call__(self, *, write: bool = False) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True)
class Delivery:
    """One message for one channel."""

    subject: str
    url: str
    message: Message
    label: str  # the site code, or "supervisor"
    site_id: int | None = None
    run_id: int | None = None


@dataclass
class NotifyOutcome:
    """What a pass did."""

    sent: int = 0
    failed: int = 0
    already_sent: int = 0
    without_contact: int = 0
    planned: list[Delivery] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"notify: {self.sent} sent, {self.failed} failed (retried next time), {self.already_sent} already sent, "
            f"{self.without_contact} sites without contact"
        )


def notify(
    sessions: Sessions,
    rules: RuleSet,
    as_of: date,
    config: NotifyConfig,
    *,
    code: str | None = None,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> NotifyOutcome:
    """Send (or with ``dry_run`` only print) every message not sent yet; ``code``: that site only, no digest."""
    outcome = NotifyOutcome()
    with sessions() as session:
        states = gather_states(session, rules, as_of, code=code, report_dir=config.report_dir)
        for state in states:
            if not state.contacts:
                outcome.without_contact += 1  # skipped quietly: nobody to tell
                continue
            message = site_message(state.notice)
            deliveries = [Delivery(f"run:{state.run_id}", url, message, state.code, state.site_id, state.run_id)
                          for url in state.contacts]  # fmt: skip
            _plan(session, outcome, deliveries)
        if code is None and states and config.supervisor:
            _plan(session, outcome, digest_deliveries(states, config.supervisor, as_of))
    for delivery in outcome.planned:
        target = mask_contact(delivery.url)
        if dry_run:
            say(f"--- {delivery.label} → {target}\n{delivery.message.title}\n{delivery.message.body}\n")
            continue
        error = send(delivery.url, delivery.message)
        with sessions(write=True) as session:
            record_attempt(session, subject=delivery.subject, channel=channel_key(delivery.url), target=target,
                           site_id=delivery.site_id, run_id=delivery.run_id, error=error)  # fmt: skip
        if error:
            outcome.failed += 1
            logger.warning("notify: %s → %s failed: %s", delivery.label, target, error)
        else:
            outcome.sent += 1
            say(f"sent {delivery.label} → {target}")
    return outcome


def digest_deliveries(states: list[SiteState], supervisor: tuple[str, ...], as_of: date) -> list[Delivery]:
    """The supervisor's digest of these sites' latest runs, one delivery per supervisor URL."""
    runs = ",".join(str(s.run_id) for s in sorted(states, key=lambda s: s.run_id))
    subject = "digest:" + hashlib.sha1(runs.encode(), usedforsecurity=False).hexdigest()
    message = digest_message(as_of.isoformat(), [s.digest for s in states])
    return [Delivery(subject, url, message, "supervisor") for url in supervisor]


def _plan(session: Session, outcome: NotifyOutcome, deliveries: list[Delivery]) -> None:
    done: dict[str, set[str]] = {}
    for delivery in deliveries:
        if delivery.subject not in done:
            done[delivery.subject] = sent_channels(session, delivery.subject)
        if channel_key(delivery.url) in done[delivery.subject]:
            outcome.already_sent += 1
        else:
            outcome.planned.append(delivery)
