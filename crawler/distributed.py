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
from redis.exceptions import RedisError
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
# A claim lives this long unless its process renews it (every CLAIM_SECONDS / 3 while the check is under way):
# the claims of a killed worker are gone within CLAIM_SECONDS, and whoever waits for them checks the targets itself.
CLAIM_SECONDS = 20
SHARE_SECONDS = 12 * 3600


class _QueueOwner(Spider):
    """scrapy-redis queues are per spider: the site queue belongs to this one."""

    name = "nightly"


def site_queue(server: Redis) -> FifoQueue:
    return FifoQueue(server, _QueueOwner(), QUEUE_KEY)


def seed_sites(server: Redis, nightly_id: int, sites: list[Any], *, resume: bool = False) -> int:
    """Push each site once for this nightly run; returns how many were pushed.

    ``resume`` (`--seed --resume`): the sites of a killed worker were popped but never done, so the sites given
    are pushed again, whether seen before or not, unless they are still in the queue.
    """
    queue = site_queue(server)
    seen = RFPDupeFilter(server, SEEN_KEY.format(nightly_id=nightly_id))
    queued = set(queued_sites(server)) if resume else set()
    pushed = 0
    for site in sites:
        entry = Request(
            site.url,
            body=site.code.encode(),
            meta={"code": site.code, "nightly_id": nightly_id},
            dont_filter=True,
        )
        if (not seen.request_seen(entry) or resume) and (site.code, nightly_id) not in queued:
            queue.push(entry)
            pushed += 1
    server.expire(seen.key, 3 * 24 * 3600)  # bounded: the fingerprints of one run live three days
    return pushed


def queued_sites(server: Redis) -> list[tuple[str, int]]:
    """The (site code, nightly id) entries waiting in the queue."""
    queue = site_queue(server)
    entries = (queue._decode_request(raw) for raw in server.lrange(queue.key, 0, -1))
    return [(entry.meta["code"], int(entry.meta["nightly_id"])) for entry in entries]


def pop_site(server: Redis) -> tuple[str, int] | None:
    """The next (site code, nightly id) to crawl, or None when the queue is empty."""
    entry = site_queue(server).pop()
    return (entry.meta["code"], int(entry.meta["nightly_id"])) if entry is not None else None


class RedisLinkCache(LinkCache):
    """The link cache, with claims and outcomes shared between worker processes through Redis."""

    def __init__(
        self, server: Redis, database_url: str, ok_ttl: timedelta, unverified_ttl: timedelta
    ) -> None:
        super().__init__(database_url, ok_ttl, unverified_ttl)
        self.server = server
        self.polls: dict[str, task.LoopingCall] = {}
        self.owned: set[str] = set()  # this process's claims in Redis, renewed until published or abandoned
        self.renewal: task.LoopingCall | None = None

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
            self.owned.add(url)
            if self.renewal is None:
                self.renewal = task.LoopingCall(self._renew)
                self.renewal.start(CLAIM_SECONDS / 3, now=False)
            return True
        # another worker checks it: wait for its outcome like a local waiter, polling Redis
        self.polls[url] = poll = task.LoopingCall(self._poll, url)
        poll.start(0.2, now=False)
        return False

    def _renew(self) -> None:
        """Keep this process's claims alive: a check may wait for its crawl's confirmation re-check."""
        if not self.owned:
            return
        try:
            pipe = self.server.pipeline(transaction=False)
            for url in self.owned:
                pipe.expire(self.key(url), CLAIM_SECONDS)
            pipe.execute()
        except RedisError:
            logger.warning("could not renew %d link claims in Redis", len(self.owned), exc_info=True)

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
        value = {
            "state": str(verdict.state),
            "error": verdict.error,
            "reason": verdict.reason,
            "status": status,
        }
        self.server.set(self.key(url), json.dumps(value, ensure_ascii=False), ex=SHARE_SECONDS)
        self.owned.discard(url)
        super().publish(url, verdict, status)

    def abandon(self, url: str) -> list[Any]:
        if url in self.owned:
            self.owned.discard(url)
            if self.server.get(self.key(url)) == PENDING:
                self.server.delete(self.key(url))
        return super().abandon(url)

    def close(self) -> None:
        for poll in [*self.polls.values(), *([self.renewal] if self.renewal else [])]:
            if poll.running:
                poll.stop()
        super().close()
