"""Write a run's evidence archive when its verdicts are final, and point every finding at its proof.

Reads GOVHEALTH_EVIDENCE, GOVHEALTH_EVIDENCE_DIR and the settings named in the archive's warcinfo record.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from pipelines.evidence.config import EvidenceConfig, relative_archive
from pipelines.evidence.exchange import Spool
from pipelines.evidence.plan import plan_proofs
from pipelines.evidence.warc import ArchiveWriter, Written
from pipelines.items import CrawlEndItem
from pipelines.settings import as_of_date

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EVIDENCE_FIELDS = ("evidence_file", "evidence_record", "evidence_digest")
# the settings an appeal may ask about, named in the warcinfo record
POLITENESS = (
    "USER_AGENT",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "DOWNLOAD_TIMEOUT",
    "GOVHEALTH_OBEY_ROBOTS",
    "GOVHEALTH_MAX_CRAWL_DELAY",
    "GOVHEALTH_RECHECK_DELAY",
    "GOVHEALTH_RATE_LIMIT_RETRIES",
)


def govhealth_version() -> str:
    try:
        return version("govhealth")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


class EvidencePipeline:
    """Archive the exchanges that prove the run's findings (WARC/1.1) and fill their ``evidence_*`` fields.

    Runs between the findings pipeline and the store. Reads GOVHEALTH_EVIDENCE, GOVHEALTH_EVIDENCE_DIR.
    Stats: govhealth/evidence/records, govhealth/evidence/bytes, govhealth/evidence/failed.
    """

    def __init__(self, crawler: Crawler, config: EvidenceConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = EvidenceConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("GOVHEALTH_EVIDENCE is off")
        return cls(crawler, config)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, CrawlEndItem):
            for finding in item.findings:
                for name in EVIDENCE_FIELDS:
                    finding.setdefault(name, None)
            if isinstance(item.spool, Spool):
                try:
                    self.archive(item, item.spool)
                except OSError:  # a full disk loses the proof, never the findings
                    logger.exception("Could not write the evidence archive of %s", item.site_code)
                    self.crawler.stats.inc_value("govhealth/evidence/failed")
        return item

    def archive(self, end: CrawlEndItem, spool: Spool) -> None:
        stats = self.crawler.stats
        run_id = stats.get_value("govhealth/run_id")
        if run_id is None:
            return  # the store did not open a run: nothing to point at
        proofs = plan_proofs(
            end.findings,
            {link.url: link for link in end.links},
            {column.url: column for column in end.readings},
            end.homepage.evidence if end.homepage is not None else (),
        )
        path = self.config.archive_path(end.site_code, run_id)
        written: dict[int, Written] = {}
        with ArchiveWriter(path) as archive:
            archive.warcinfo(self.warcinfo(end, run_id))
            for finding, proof in zip(end.findings, proofs, strict=True):
                for ref in proof.refs:
                    if ref not in written:
                        written[ref] = archive.exchange(spool.get(ref))
                if proof.proving is not None:
                    record = written[proof.proving]
                elif proof.note is not None:
                    record = archive.metadata(finding["url"], proof.note, when=datetime.now(UTC))
                else:
                    continue
                finding.update(
                    evidence_file=relative_archive(end.site_code, run_id),
                    evidence_record=record.record_id,
                    evidence_digest=record.digest,
                )
            records = archive.records
        size = path.stat().st_size
        stats.set_value("govhealth/evidence/records", records)
        stats.set_value("govhealth/evidence/bytes", size)
        stats.set_value("govhealth/evidence/spooled", len(spool))
        logger.info(
            "Evidence of run %s of %s: %d records, %d bytes in %s", run_id, end.site_code, records, size, path
        )

    def warcinfo(self, end: CrawlEndItem, run_id: int) -> dict[str, Any]:
        settings = self.crawler.settings
        info: dict[str, Any] = {
            "software": f"govhealth/{govhealth_version()}",
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": "government website health inspection: the exchanges that prove its findings",
            "isPartOf": f"govhealth run {run_id} of site {end.site_code}",
            "govhealth-site-code": end.site_code,
            "govhealth-run-id": run_id,
            "govhealth-as-of": as_of_date(settings).isoformat(),
            "govhealth-rules": settings.get("GOVHEALTH_RULES") or "bundled national rules",
            "govhealth-close-reason": end.reason,
            "govhealth-budget-hit": end.budget_hit,
            "govhealth-evidence-max-bytes": self.config.check_bytes,
            "govhealth-evidence-page-bytes": self.config.page_bytes,
        }
        for name in POLITENESS:
            info[f"govhealth-{name.lower().replace('_', '-')}"] = settings.get(name)
        return info
