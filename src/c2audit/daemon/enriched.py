"""``log_format = ENRICHED``: auditd's ``\\x1d`` suffix of interpreted names, per record.

The record is split into fields exactly as libauparse splits it
(:func:`c2audit.records.split_fields`) and :func:`c2audit.interpret.enrichment`
builds what auditd's ``format_enrich()`` appends: uid/gid fields as quoted
names, syscall, arch and sockaddr interpreted.  Names come from this
machine's user and group databases, as in auditd.
"""
from __future__ import annotations

from c2audit.daemon.logformat import Enricher
from c2audit.interpret import Lookups, RecordContext, default_lookups, enrichment
from c2audit.records import split_fields


def make_enricher(lookups: Lookups | None = None) -> Enricher:
    """An ``Enricher`` for :class:`~c2audit.daemon.logformat.LineFormatter`."""
    names = lookups if lookups is not None else default_lookups()

    def enrich(msg_type: int, line: bytes) -> bytes | None:
        text = line.decode("utf-8", "surrogateescape")
        header_end = text.find("): ") + 2  # where msg=audit(...): ends: auparse's fast path (1 if absent)
        fields = [(name, value) for name, value in split_fields(text, msg_type, text.startswith("node="),
                                                                 max(header_end, 0))
                  if value is not None]
        suffix = enrichment(text, fields, RecordContext.from_fields(msg_type, fields), names)
        return suffix[1:].encode("utf-8", "surrogateescape") if suffix else None

    return enrich
