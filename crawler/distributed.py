"""Several machines, one nightly run: sites partitioned through scrapy-redis, link outcomes shared through Redis.

A seeder (`scrapy nightly --redis --seed`) pushes one entry per site onto a scrapy-redis FIFO queue
(de-duplicated per nightly run with scrapy-redis's RFPDupeFilter); every worker (`scrapy nightly
--redis`) pops sites from it until it is empty and crawls each whole site itself, writing to the shared
PostgreSQL database. External link outcomes are shared between workers through Redis keys, so no
target is checked twice. Reads REDIS_URL (scrapy-redis's setting; env GOVHEALTH_REDIS_URL).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import FifoQueue
from twisted.internet import task

from crawler.linkcache import LinkCache, Outcome, url_hash
from models.base import utcnow
from pipelines.rules.kinds import LinkState
from pipelines.rules.links import Verdict

logger = logging.getLogger(__name__)

QUEUE_KEY = "govhealth:%(spider)s:sites"
SEEN_KEY = "govhealth:nightly:{nightly_id}:seen"
LINK_KEY = "govhealth:link:{hash}"
PENDING = b"pending"
CLAIM_SECONDS = 900  # a claimed check not answered by then is checked again by whoever waits for it
SHARE_SECONDS = 12 * 3600


class _QueueOwner(Spider):
    """scrapy-redis queues are per spider: the site queue belongs to this one."""

    name = "nightly"


def site_queue(server: Redis) -> FifoQueue:
    return FifoQueue(server, _QueueOwner(), QUEUE_KEY)


def seed_sites(server: Redis, nightly_id: int, sites: list[Any]) -> int:
    """Push each site once for this nightly run; returns how many were pushed."""
    queue = site_queue(server)
    seen = RFPDupeFilter(server, SEEN_KEY.format(nightly_id=nightly_id))
    pushed = 0
    for site in sites:
        entry = Request(site.url, body=site.code.encode(), meta={"code": site.code, "nightly_id": nightly_id},
                        dont_filter=True)
        if not seen.request_seen(entry):
            queue.push(entry)
            pushed += 1
    server.expire(seen.key, 3 * 24 * 3600)  # bounded: the fingerprints of one run live three days
    return pushed


def pop_site(server: Redis) -> tuple[str, int] | None:
    """The next (site code, nightly id) to crawl, or None when the queue is empty."""
    entry = site_queue(server).pop()
    return (entry.meta["code"], int(entry.meta["nightly_id"])) if entry is not None else None


class RedisLinkCache(LinkCache):
    """The link cache, with claims and outcomes shared between worker processes through Redis."""

    def __init__(self, server: Redis, database_url: str, ok_ttl: timedelta, unverified_ttl: timedelta) -> None:
        super().__init__(database_url, ok_ttl, unverified_ttl)
        self.server = server
        self.polls: dict[str, task.LoopingCall] = {}

    def key(self, url: str) -> str:
        return LINK_KEY.format(hash=url_hash(url))

    def lookup(self, url: str) -> Outcome | None:
        found = super().lookup(url)
        if found is not None:
            return found
        shared = self.shared_outcome(url)
        if shared is not None:
            self.misses -= 1
            self.hits += 1
            self.remember(url, shared)
        return shared

    def shared_outcome(self, url: str) -> Outcome | None:
        value = self.server.get(self.key(url))
        if not value or value == PENDING:
            return None
        data = json.loads(value)
        verdict = Verdict(LinkState(data["state"]), data["error"], data["reason"])
        return Outcome(verdict, data["status"], utcnow() + timedelta(seconds=SHARE_SECONDS))

    def claim(self, url: str) -> bool:
        if not super().claim(url):
            return False  # another crawl of this process checks it
        if self.server.set(self.key(url), PENDING, nx=True, ex=CLAIM_SECONDS):
            return True
        # another worker checks it: wait for its outcome like a local waiter, polling Redis
        self.polls[url] = poll = task.LoopingCall(self._poll, url)
        poll.start(0.2, now=False)
        return False

    def _poll(self, url: str) -> None:
        value = self.server.get(self.key(url))
        if value == PENDING:
            return
        self.polls.pop(url).stop()
        outcome = self.shared_outcome(url) if value else None
        waiters = self.in_flight.pop(url, [])
        if outcome is not None:
            self.remember(url, outcome)
        for waiter in waiters:
            waiter(outcome.verdict if outcome else None, outcome.status if outcome else None)

    def publish(self, url: str, verdict: Verdict, status: int | None) -> None:
        value = {"state": str(verdict.state), "error": verdict.error, "reason": verdict.reason, "status": status}
        self.server.set(self.key(url), json.dumps(value, ensure_ascii=False), ex=SHARE_SECONDS)
        super().publish(url, verdict, status)

    def abandon(self, url: str) -> list[Any]:
        if self.server.get(self.key(url)) == PENDING:
            self.server.delete(self.key(url))
        return super().abandon(url)

    def close(self) -> None:
        for poll in self.polls.values():
            if poll.running:
                poll.stop()
        super().close()
