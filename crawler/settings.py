"""Every setting of the govhealth Scrapy project.

Ours start with GOVHEALTH_; each reads its environment variable of the same name, and
``-s NAME=value`` on the command line wins over both.
"""

from __future__ import annotations

import os

BOT_NAME = "govhealth"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


# str: SQLAlchemy URL of the findings database; PostgreSQL is postgresql+psycopg://user:pw@host/db.
GOVHEALTH_DATABASE_URL = _env("GOVHEALTH_DATABASE_URL", "sqlite:///govhealth.sqlite3")
# str (YYYY-MM-DD) or "": the date "today" is for staleness; empty means the real today.
GOVHEALTH_AS_OF = _env("GOVHEALTH_AS_OF", "")
# str: path of a rules file (TOML); empty means the bundled national-2019 rules.
GOVHEALTH_RULES = _env("GOVHEALTH_RULES", "")
# str: folder where `scrapy nightly` writes the visual report (`scrapy report -o DIR`) at the end; empty: none.
# Notifications point at its sites/<code>.html when that page exists.
GOVHEALTH_REPORT_DIR = _env("GOVHEALTH_REPORT_DIR", "")
# int: per-site budget of pages crawled (parsed for links); links found on them are still checked.
GOVHEALTH_MAX_PAGES = _env("GOVHEALTH_MAX_PAGES", "5000")
# int: per-site budget of link depth from the homepage (homepage = 0).
GOVHEALTH_MAX_DEPTH = _env("GOVHEALTH_MAX_DEPTH", "8")
# int: per-site budget of wall-clock seconds for the whole inspection.
GOVHEALTH_MAX_SECONDS = _env("GOVHEALTH_MAX_SECONDS", "3600")
# bool: fetch link targets on loopback/private/link-local addresses other than the site's own hosts.
GOVHEALTH_ALLOW_PRIVATE_TARGETS = _env("GOVHEALTH_ALLOW_PRIVATE_TARGETS", "False")
# bool: obey robots.txt Disallow. Off by default: the inspection is mandated by the supervising
# office and scores what any visitor can open; Crawl-delay is honoured either way.
GOVHEALTH_OBEY_ROBOTS = _env("GOVHEALTH_OBEY_ROBOTS", "False")
# str: URL of a page about the crawler, sent in the User-Agent so site operators can reach us.
GOVHEALTH_CONTACT_URL = _env("GOVHEALTH_CONTACT_URL", "https://github.com/govhealth/govhealth")
# float: seconds to wait after the crawl before re-checking failed targets once more.
GOVHEALTH_RECHECK_DELAY = _env("GOVHEALTH_RECHECK_DELAY", "30")
# int: concurrent requests of the confirmation re-check lane (a slow lane).
GOVHEALTH_RECHECK_CONCURRENCY = _env("GOVHEALTH_RECHECK_CONCURRENCY", "2")
# int: how many times a 429/503 answer is retried after honouring Retry-After or backing off.
GOVHEALTH_RATE_LIMIT_RETRIES = _env("GOVHEALTH_RATE_LIMIT_RETRIES", "2")
# int: how many times a page of the site (a page to crawl, a list page, list data) answered 429/503 is tried
# again: a rate limit delays a page, never drops it; its confirmation re-check reads it as a page again.
GOVHEALTH_PAGE_RATE_LIMIT_RETRIES = _env("GOVHEALTH_PAGE_RATE_LIMIT_RETRIES", "6")
# float: the longest Retry-After (seconds) honoured; a longer one leaves the target unverified.
GOVHEALTH_RETRY_AFTER_MAX = _env("GOVHEALTH_RETRY_AFTER_MAX", "60")
# float: first backoff (seconds) for a 429/503 without Retry-After; doubles on each retry.
GOVHEALTH_BACKOFF_BASE = _env("GOVHEALTH_BACKOFF_BASE", "2")
# int: pages kept as evidence per broken target (the count is kept in full).
GOVHEALTH_SOURCES_CAP = _env("GOVHEALTH_SOURCES_CAP", "20")
# float: seconds a homepage probe (`scrapy probe`) may take, redirects included, before it fails.
GOVHEALTH_PROBE_TIMEOUT = _env("GOVHEALTH_PROBE_TIMEOUT", "15")
# bool: keep the proof of every finding in a WARC/1.1 archive per run (README: Evidence archive).
GOVHEALTH_EVIDENCE = _env("GOVHEALTH_EVIDENCE", "True")
# str: folder of the archives, <dir>/<site_code>/<run_id>.warc.gz (relative to the working directory).
GOVHEALTH_EVIDENCE_DIR = _env("GOVHEALTH_EVIDENCE_DIR", "evidence")
# int: days an archive is kept; `scrapy nightly` deletes older ones (an evaluation year and its appeals).
GOVHEALTH_EVIDENCE_DAYS = _env("GOVHEALTH_EVIDENCE_DAYS", "400")
# int: body bytes archived of a failed link check, a gate's or rate limiter's answer (WARC-Truncated beyond).
GOVHEALTH_EVIDENCE_MAX_BYTES = _env("GOVHEALTH_EVIDENCE_MAX_BYTES", str(64 * 1024))
# int: body bytes archived of a page (a broken link's source page, a list page, the homepage).
GOVHEALTH_EVIDENCE_PAGE_BYTES = _env("GOVHEALTH_EVIDENCE_PAGE_BYTES", str(1024 * 1024))
# int: bytes one crawl may keep aside (on disk) until its verdicts are known; beyond, limit evidence_spool.
GOVHEALTH_EVIDENCE_SPOOL_BYTES = _env("GOVHEALTH_EVIDENCE_SPOOL_BYTES", str(1024 * 1024 * 1024))
# int: requests in flight to one server (the registry's `platform` of a site's hosts, else the resolved address)
# across every crawl of a run: the process's crawls, and with --redis every worker and machine (crawler/servergate.py).
GOVHEALTH_PER_SERVER_CONCURRENCY = _env("GOVHEALTH_PER_SERVER_CONCURRENCY", "8")
# float: seconds between the starts of two requests to one server, across every crawl of a run (20/s at most).
GOVHEALTH_PER_SERVER_DELAY = _env("GOVHEALTH_PER_SERVER_DELAY", "0.05")
# int: processes sharing a `scrapy nightly` run (0: one per core); a second one starts only when the sites
# outnumber one process's GOVHEALTH_NIGHTLY_PARALLEL slots (crawler/nightly/workers.py).
GOVHEALTH_NIGHTLY_WORKERS = _env("GOVHEALTH_NIGHTLY_WORKERS", "0")
# int: sites crawled at the same time by `scrapy nightly`, in all (its workers share them). 16: the province
# benchmark (README, Benchmarks) needs 14 to end Guangxi's 183 sites within 4 hours at production politeness, and
# 16 sites take ~0.61 GB; memory would allow ~66 and two cores ~82.
GOVHEALTH_NIGHTLY_PARALLEL = _env("GOVHEALTH_NIGHTLY_PARALLEL", "16")
# int: article pages read per column whose list shows no date at all.
GOVHEALTH_ARTICLE_PROBES = _env("GOVHEALTH_ARTICLE_PROBES", "3")
# bool: share external link outcomes across the sites of a run and across runs (link_cache table).
GOVHEALTH_LINK_CACHE = _env("GOVHEALTH_LINK_CACHE", "True")
# float: hours an ok external link outcome is reused by later runs.
GOVHEALTH_LINK_CACHE_OK_HOURS = _env("GOVHEALTH_LINK_CACHE_OK_HOURS", "72")
# float: hours a rate-limited or gated external link outcome is reused by later runs.
GOVHEALTH_LINK_CACHE_UNVERIFIED_HOURS = _env("GOVHEALTH_LINK_CACHE_UNVERIFIED_HOURS", "6")
# float: seconds a crawl with nothing else left waits for link targets another crawl of the same run is
# checking, before it checks them itself.
GOVHEALTH_LINK_CACHE_WAIT = _env("GOVHEALTH_LINK_CACHE_WAIT", "300")
# str: CPython's cyclic GC thresholds during a crawl ("" or "default": CPython's 700,10,10), see
# crawler/gctuning.py: with the defaults the collector took a third of a large crawl's CPU.
GOVHEALTH_GC_THRESHOLDS = _env("GOVHEALTH_GC_THRESHOLDS", "50000,20,100")
# int: rows written per database batch.
GOVHEALTH_BATCH_SIZE = _env("GOVHEALTH_BATCH_SIZE", "500")
# int: bytes of one page read, on the wire and after decompression (the rest is cut, the links read are kept).
GOVHEALTH_MAX_PAGE_BYTES = _env("GOVHEALTH_MAX_PAGE_BYTES", str(4 * 1024 * 1024))
# int: distinct links taken from one page (a page of 200,000 links is cut; the run is then incomplete).
GOVHEALTH_MAX_LINKS_PER_PAGE = _env("GOVHEALTH_MAX_LINKS_PER_PAGE", "10000")
# int: distinct link targets per site (the queue of URLs to check; spider traps end here).
GOVHEALTH_MAX_TARGETS = _env("GOVHEALTH_MAX_TARGETS", "100000")
# float: the longest robots.txt Crawl-delay honoured, in seconds.
GOVHEALTH_MAX_CRAWL_DELAY = _env("GOVHEALTH_MAX_CRAWL_DELAY", "30")
# int: bytes of robots.txt read (Google reads 500 KiB).
GOVHEALTH_MAX_ROBOTS_BYTES = _env("GOVHEALTH_MAX_ROBOTS_BYTES", str(512 * 1024))
# str: notification URLs (Apprise syntax, separated by whitespace or |) of the supervising office, which gets
# the daily digest of `scrapy notify`; empty: no digest. They hold secrets: pass them in the environment.
GOVHEALTH_NOTIFY_SUPERVISOR = _env("GOVHEALTH_NOTIFY_SUPERVISOR", "")

USER_AGENT = f"govhealth/0.1 (+{GOVHEALTH_CONTACT_URL}; government website health inspection)"

# Politeness: a government site must never be hammered (README: How a site is inspected, politeness).
ROBOTSTXT_OBEY = (
    False  # the spider reads robots.txt itself (Crawl-delay, and Disallow per GOVHEALTH_OBEY_ROBOTS)
)
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = _env("DOWNLOAD_TIMEOUT", "30")
# 0: Scrapy would cancel a page announcing a Content-Length over the maximum before reading a byte, and the
# links early on it would never be checked. The spiders cut each body at their own limit instead
# (GOVHEALTH_MAX_PAGE_BYTES, 64 KiB for link checks, GOVHEALTH_MAX_ROBOTS_BYTES), decompressed bodies included.
DOWNLOAD_MAXSIZE = 0
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
COOKIES_ENABLED = False  # never send credentials; anti-bot cookie gates are reported as unverified
REDIRECT_MAX_TIMES = 10
RETRY_ENABLED = True
RETRY_TIMES = 2
# Scrapy's list without the DNS failures: a name that does not resolve is asked again by the confirmation
# re-check, not three times in a row (10,000 links to unresolvable hosts were 60,000 lookups).
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    "builtins.OSError",
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
# 429 and 503 are handled by RateLimitMiddleware (Retry-After, exponential backoff).
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
DOWNLOADER_MIDDLEWARES = {
    "crawler.robots.RobotsPolicy": 100,  # robots.txt before the homepage: Crawl-delay, GOVHEALTH_OBEY_ROBOTS
    "crawler.middlewares.RateLimitMiddleware": 560,
    "crawler.middlewares.BudgetTimeoutMiddleware": 360,  # after DownloadTimeoutMiddleware (350)
    # inflates each body only up to its limit (decompression bombs), keeping the prefix: replaces Scrapy's
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.BoundedDecompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,  # never send credentials
}
# Not needed here, and each costs a generator layer on every request a callback yields: depth is the
# spider's own (govhealth_depth, priority -depth = breadth-first), and a very long URL is still a link to
# check (UrlLengthMiddleware would drop it silently).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
EXTENSIONS = {
    "crawler.gctuning.GcTuning": 100,
    "crawler.netguard.NetGuard": 0,  # no connection to a private address but the site's own (README: Security)
    "crawler.budgets.CrawlBudget": 10,  # GOVHEALTH_MAX_SECONDS and the record of every budget and limit
    "crawler.bodycap.BodyCap": 20,  # GOVHEALTH_MAX_PAGE_BYTES, the first bytes of a check
    "crawler.recheck.RecheckLane": 30,  # the end-of-crawl confirmation re-checks (GOVHEALTH_RECHECK_DELAY)
    "crawler.linkcache.LinkCacheComponent": 40,  # a single crawl's own link cache (GOVHEALTH_LINK_CACHE)
    "crawler.evidence.EvidenceRecorder": 50,  # what the crawl read, kept aside for the evidence archive
}
# Only http(s) is ever fetched: a redirect or a link to file:, ftp:, data: or s3: is refused (unsupported_scheme).
# http(s) goes through the per-server gate (GOVHEALTH_PER_SERVER_CONCURRENCY, crawler/serverlimit.py).
DOWNLOAD_HANDLERS = {
    "file": None,
    "ftp": None,
    "data": None,
    "s3": None,
    "http": "crawler.serverlimit.ServerLimitedDownloadHandler",
    "https": "crawler.serverlimit.ServerLimitedDownloadHandler",
}
ITEM_PIPELINES = {
    "pipelines.findings.FindingsPipeline": 300,  # judges the crawl's items into findings when it ends
    "pipelines.evidence.pipeline.EvidencePipeline": 500,  # archives the proof of each finding (WARC)
    "pipelines.store.StorePipeline": 800,
}
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output; our items are tiny and
# stored at the end, so a handful is plenty (100, the default, cost ~10 % of the CPU in profiles).
CONCURRENT_ITEMS = 4
# Scrapy's stats collector without its per-access deprecation shim (crawler/stats.py): 2-3 % of the CPU.
STATS_CLASS = "crawler.stats.FastStatsCollector"
# Scrapy re-parses each callback's source to warn about generator return values: ~5 % of the CPU
# in profiles of nightly runs, for a warning our callbacks never need.
WARN_ON_GENERATOR_RETURN_VALUE = False
# The spider de-duplicates link targets itself (each is checked once per run, redirects included).
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
# Breadth-first crawl: FIFO queues; the spider gives each request priority -depth.
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# One queue by priority, not Scrapy's DownloaderAwarePriorityQueue: that one keeps a queue per host and scans
# every host on each dequeue, so a page linking 10,000 hosts made each dequeue cost 10,000 steps.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
DNS_TIMEOUT = 15
REACTOR_THREADPOOL_MAXSIZE = 20
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = _env("GOVHEALTH_LOG_LEVEL", "INFO")
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"  # no per-request DEBUG records unless shown
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
