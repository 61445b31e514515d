"""Notifications sent to a site's contacts and to the supervising office (`scrapy notify`), one row per message and channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow

NOTICE_SENT = "sent"
NOTICE_FAILED = "failed"  # retried by the next `scrapy notify`


class Notification(Base):
    """One message to one channel: sent once, or failed and retried until it is sent."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("subject", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(
        String(64), comment="what the message is about: run:<run id> (a site) or digest:<sha1 of the runs>"
    )
    channel: Mapped[str] = mapped_column(
        String(40), comment="sha1 of the notification URL (never stored twice)"
    )
    target: Mapped[str] = mapped_column(String(300), comment="the notification URL with its secrets masked")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), comment="sent or failed")
    attempts: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(String(500), comment="why the last attempt failed")
    at: Mapped[datetime] = mapped_column(default=utcnow, comment="time of the last attempt")


def sent_channels(session: Session, subject: str) -> set[str]:
    """The channels that already received the message about ``subject``."""
    query = select(Notification.channel).where(
        Notification.subject == subject, Notification.status == NOTICE_SENT
    )
    return set(session.scalars(query))


def record_attempt(
    session: Session,
    *,
    subject: str,
    channel: str,
    target: str,
    site_id: int | None,
    run_id: int | None,
    error: str | None,
) -> Notification:
    """Store one attempt at sending (``error`` None: sent); a retry updates the failed row."""
    row = session.scalar(
        select(Notification).where(Notification.subject == subject, Notification.channel == channel)
    )
    if row is None:
        row = Notification(subject=subject, channel=channel, site_id=site_id, run_id=run_id, attempts=0)
        session.add(row)
    row.target = target[:300]
    row.status = NOTICE_FAILED if error else NOTICE_SENT
    row.error = error[:500] if error else None
    row.attempts += 1
    row.at = utcnow()
    return row
