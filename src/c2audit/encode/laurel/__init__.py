"""laurel 0.5.1's JSON, byte for byte, without laurel's enrichment.

Three layers, each usable alone: :mod:`.grammar` reads one record as laurel
does (typed values, :mod:`.values`; most bodies through :mod:`.fastpath`),
:mod:`.coalesce` groups records into events as laurel does
(:class:`LaurelGrouper`), :mod:`.encoder` writes laurel's JSON line
(:class:`LaurelEncoder`, ``c2audit parse --format laurel``).
"""
from c2audit.encode.laurel.coalesce import LaurelEvent, LaurelGrouper
from c2audit.encode.laurel.encoder import LaurelEncoder
from c2audit.encode.laurel.values import LaurelParseError

__all__ = ["LaurelEncoder", "LaurelEvent", "LaurelGrouper", "LaurelParseError"]
