"""`scrapy evidence --code CODE --url URL [--run ID] [-o FILE]`: the archived exchange that proves a finding."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from scrapy.exceptions import UsageError
from sqlalchemy import select

from crawler.cli import GovHealthCommand
from models.errors import GovHealthError
from models.finding import Finding
from models.nightly import INSPECTED_REASONS
from models.run import CrawlRun
from models.site import Site
from pipelines.evidence import ArchivedRecord, EvidenceConfig, read_records
from pipelines.evidence.show import describe_record
from pipelines.rules.links import normalize_url


class Command(GovHealthCommand):
    def syntax(self) -> str:
        return "--code CODE --url URL [--run ID] [-o FILE]"

    def short_desc(self) -> str:
        return "Show the archived exchange (WARC records) that proves a finding"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--code", help="the site (网站标识码)")
        parser.add_argument("--url", help="the finding's URL (link target, column list page or homepage)")
        parser.add_argument("--run", type=int, help="the run (default: the newest run with this finding)")
        parser.add_argument("-o", "--output", help="write the proving record's payload to this file")

    def handle(self, args: list[str], opts: argparse.Namespace) -> None:
        if not opts.code or not opts.url:
            raise UsageError("give the finding with --code CODE --url URL")
        assert self.settings is not None
        config = EvidenceConfig.from_settings(self.settings)
        finding = self.find(opts.code, opts.url, opts.run)
        if not (finding.evidence_file and finding.evidence_record):
            raise GovHealthError(
                f"the {finding.kind} finding of {finding.url} in run {finding.run_id} has no archived evidence"
            )
        path = config.directory / finding.evidence_file
        if not path.is_file():
            raise GovHealthError(
                f"{path} is gone (archives are kept GOVHEALTH_EVIDENCE_DAYS={config.days} days)"
            )
        records = list(read_records(path))
        proving = next((r for r in records if r.record_id == finding.evidence_record), None)
        if proving is None:
            raise GovHealthError(f"{path} holds no record {finding.evidence_record}")
        digest = "sha256:" + hashlib.sha256(proving.payload).hexdigest()
        if digest != finding.evidence_digest:
            raise GovHealthError(
                f"record {proving.record_id} of {path}: payload digest {digest} is not the stored "
                f"{finding.evidence_digest} (the archive was altered)"
            )
        if opts.output:
            Path(opts.output).write_bytes(proving.payload)
            print(f"wrote {len(proving.payload)} bytes of {proving.record_id} to {opts.output}")
            return
        print(f"{finding.kind} {finding.url} · site {opts.code} · run {finding.run_id}")
        print(f"archive {path} · record {proving.record_id} · {digest} (verified)")
        request = _request_of(records, proving)
        print(describe_record(proving, request))
        others = [
            r for r in records if r is not proving and r is not request and _about(r, finding.url, proving)
        ]
        if finding.source_url and (
            page := next(
                (r for r in records if r.record_type == "response" and r.target_uri == finding.source_url),
                None,
            )
        ):
            others.append(page)
        if others:
            print(f"\nalso archived for this finding: {len(others)} record(s)")
            for record in others:
                role = " (the page carrying the link)" if record.target_uri == finding.source_url else ""
                print(
                    f"  {record.record_type:9} {record.date}  {record.target_uri}  {record.record_id}{role}"
                )

    def find(self, code: str, url: str, run_id: int | None) -> Finding:
        with self.session() as session:
            site = session.scalar(select(Site).where(Site.code == code))
            if site is None:
                raise GovHealthError(f"unknown site code {code!r}")
            urls = {url, normalize_url(url)}
            query = (
                select(Finding)
                .join(CrawlRun, CrawlRun.id == Finding.run_id)
                .where(Finding.site_id == site.id, Finding.url.in_(urls))
                .where(CrawlRun.close_reason.in_(INSPECTED_REASONS))
                .order_by(Finding.run_id.desc())
            )
            if run_id is not None:
                query = query.where(Finding.run_id == run_id)
            finding = session.scalars(query.limit(1)).first()
            if finding is None:
                where = f"run {run_id}" if run_id is not None else "any run"
                raise GovHealthError(f"no finding with URL {url} for site {code} in {where}")
            session.expunge(finding)
            return finding


def _request_of(records: list[ArchivedRecord], response: ArchivedRecord) -> ArchivedRecord | None:
    return next(
        (r for r in records if r.record_type == "request" and r.concurrent_to == response.record_id), None
    )


def _about(record: ArchivedRecord, url: str, proving: ArchivedRecord) -> bool:
    """Another record of the same finding: the same target, its first check, or the redirect that led there."""
    if record.record_type == "request":
        return False
    requested = dict(record.headers).get("Govhealth-Requested-URI")
    return url in (record.target_uri, requested) or record.target_uri == proving.target_uri
