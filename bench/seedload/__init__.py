"""The pieces of ``bench/seed_load.py``: the seed's workload against c2audit and auditd.

- ``counting``: events in a daemon's log, by workload pid (pure);
- ``report``: the result table and the verdicts on issue 2's targets (pure);
- ``workload``: running ``grep -r`` copies with a timeout, and counting the
  audited syscalls they make with ``strace`` (the daemon-independent count);
- ``daemons``: ``c2audit daemon`` and Debian's ``auditd`` in a temporary
  directory, their CPU time, quiescence and stop;
- ``kernel``: the harness's requests to the kernel (settings, the rule,
  restoring what it found) and the machine-wide kernel-test lock;
- ``case``: one measured run (baseline, daemon, rule, workload, counts) that
  always leaves the kernel as it found it.
"""
