"""The audit daemon (``c2audit daemon``): drains the kernel's audit records to a log without loss.

Pure parts: :mod:`.config` (auditd.conf), :mod:`.logformat` (log lines, daemon
records), :mod:`.disk` (size and space policy), :mod:`.state` (counters and
the state report).  Edges: :mod:`.logfile` (the file), :mod:`.channel`,
:mod:`.reader`, :mod:`.writer`, :mod:`.monitor` (threads) and :mod:`.service`
(start, signals, stop).
"""
