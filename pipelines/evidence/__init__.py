"""The evidence archive (README: Evidence archive): exchanges kept aside, proofs planned, WARC records written."""

from pipelines.evidence.config import EvidenceConfig, relative_archive
from pipelines.evidence.exchange import Exchange, Spool, SpoolFull
from pipelines.evidence.plan import Proof, plan_proofs
from pipelines.evidence.retention import prune_archives
from pipelines.evidence.warc import ArchivedRecord, ArchiveWriter, Written, read_records

__all__ = [
    "ArchiveWriter",
    "ArchivedRecord",
    "EvidenceConfig",
    "Exchange",
    "Proof",
    "Spool",
    "SpoolFull",
    "Written",
    "plan_proofs",
    "prune_archives",
    "read_records",
    "relative_archive",
]
