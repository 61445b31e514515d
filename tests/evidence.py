"""Checks that every finding points at its proof in a readable WARC archive (README: Evidence archive)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipelines.evidence import ArchivedRecord, read_records
from pipelines.evidence.show import body_text
from pipelines.rules.links import normalize_url


def records_of(path: Path) -> dict[str, ArchivedRecord]:
    """Every record of the archive by WARC-Record-ID (read with warcio's ArchiveIterator)."""
    return {r.record_id: r for r in read_records(path)}


def proving_record(finding: Any, root: Path) -> tuple[ArchivedRecord, dict[str, ArchivedRecord]]:
    assert finding.evidence_file == f"{finding.evidence_file.split('/')[0]}/{finding.run_id}.warc.gz"
    records = records_of(root / finding.evidence_file)
    record = records[finding.evidence_record]
    assert finding.evidence_digest == "sha256:" + hashlib.sha256(record.payload).hexdigest()
    assert dict(record.headers)["WARC-Payload-Digest"] == finding.evidence_digest
    return record, records


def is_about(record: ArchivedRecord, url: str) -> bool:
    """The record answers ``url``: its target, or the URL that was requested before a redirect."""
    requested = dict(record.headers).get("Govhealth-Requested-URI")
    return normalize_url(url) in {normalize_url(record.target_uri), requested and normalize_url(requested)}


def link_mark(url: str) -> str:
    """What the page carrying a link must contain: its last path segment, or its host for a bare host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return segment or (parts.hostname or "")


def assert_every_finding_proven(findings: Iterable[Any], root: Path) -> set[str]:
    """Each finding's evidence fields lead to a record about it; a link's source page carries the link.

    Returns:
        The kinds checked.
    """
    kinds = set()
    for finding in findings:
        kinds.add(finding.kind)
        assert finding.evidence_file, (finding.kind, finding.url)
        record, records = proving_record(finding, root)
        assert is_about(record, finding.url), (finding.kind, finding.url, record.target_uri)
        if finding.kind in ("broken_link", "unverified_link") and finding.source_url:
            pages = [
                r
                for r in records.values()
                if r.record_type == "response" and normalize_url(r.target_uri) == finding.source_url
            ]
            assert pages, f"no archived page carries {finding.url}"
            text = body_text(pages[0].payload, dict(pages[0].http_headers).get("Content-Type", ""))
            # a page cut at the evidence cap (WARC-Truncated) may end before a link deep inside it
            found = link_mark(finding.url) in unquote(text)
            assert found or pages[0].truncated, (finding.url, pages[0].target_uri)
    return kinds
