"""The ingestion pipeline: ``ingest(messages)`` is its one entry (see ``pipeline``).

Modules: ``parsing`` (validation, dead letters), ``thresholds``, ``storage`` (SQL), ``bookkeeping`` and
``alarm_order`` (alarm rows, ADR 0016), ``devices`` (secrets and the device cache).
"""

from .parsing import IngestResult, Message, dead_letter
from .pipeline import DB_DOWN, ingest

__all__ = ["DB_DOWN", "IngestResult", "Message", "dead_letter", "ingest"]
