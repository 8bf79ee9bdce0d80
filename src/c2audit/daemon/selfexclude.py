"""Keep the daemon and the processes it starts out of the audit trail it writes.

What the kernel already does, and what it leaves to us (kernel/auditsc.c,
kernel/audit.c):

* The registered audit daemon is exempt from the exit, watch and io_uring
  filters (``audit_filter_syscall``/``audit_filter_inodes``/``audit_filter_uring``
  return early on ``auditd_test_task``) and from waiting on a full backlog.
  That test compares the *tgid*, so it covers every thread -- but only while
  registered.
* Processes the daemon starts (``exec`` actions of ``space_left`` & co.) are
  not exempt at all: under ``-a always,exit -S write`` or a watch on the log
  directory, each of their writes is a record the daemon must drain, and in
  blocking mode they sleep on a full backlog like any producer.

So, right after registering, the daemon prepends two rules::

    -A exit,never -S all -F pid=<our pid> -F key=c2audit-self
    -A exit,never -S all -F ppid=<our pid> -F key=c2audit-self

``AUDIT_PID`` compares ``task_tgid_nr`` (all our threads), ``AUDIT_PPID`` the
tgid of the real parent (every child, whichever thread started it).  While we
are registered the first only restates the kernel's exemption; it keeps us out
wherever that exemption does not apply.  Prepending matters: the kernel gives ``-A`` rules a higher priority
than every appended one, and a lower-priority match -- watches included, which
live in the inode hash rather than the exit list -- cannot override a
higher-priority ``never`` (``ctx->prio`` in ``audit_filter_rules``).  Rules
prepended *after* ours outrank them.  Grandchildren are not covered: the
kernel has no "descendant of" field, so what an ``exec`` script forks is
audited like anyone.

The key is the signature.  Only one process can be registered, and once we
are, any rule bearing it for another pid is a previous daemon's (killed before
it could delete its own): it is deleted, whether or not that pid still exists
-- a reused pid would otherwise hide an unrelated process from auditing.  Ours
are deleted at stop, before unregistering, so the kernel's CONFIG_CHANGE
records of both the addition and the removal land in our own log.  Deleted by
someone else -- ``-D`` heads most rule files, loaded after the daemon starts --
they are put back (``restore``) when the reader sees that CONFIG_CHANGE.

Cost: ``never`` rules count as rules, so on a kernel with no other rule they
switch on per-syscall audit filtering for every process; ``exclude_self = no``
avoids that where no rule could match us.  With other rules loaded they add
two field comparisons to each syscall's filtering.
"""
from __future__ import annotations

import errno
from collections.abc import Callable

from c2audit.kernel import AuditClient, KernelError
from c2audit.rules import CompiledRule, RuleData, RuleDataError, compile_rules_text, kernel_form
from c2audit.tables import uapi

SELF_KEY = "c2audit-self"
REMOVAL_MARK = f'op=remove_rule key="{SELF_KEY}"'.encode()  # in the kernel's CONFIG_CHANGE record
_FIELD_NAMES = {uapi.AUDIT_PID: "pid", uapi.AUDIT_PPID: "ppid"}


# ------------------------------------------------------------ pure: the rules and their signature


def exclusion_rule(field: int, pid: int) -> CompiledRule:
    """``-A exit,never -S all -F pid|ppid=<pid> -F key=c2audit-self`` (``field``: AUDIT_PID or AUDIT_PPID)."""
    text = f"-A exit,never -S all -F {_FIELD_NAMES[field]}={pid} -F key={SELF_KEY}\n"
    (rule,) = compile_rules_text(text, "<c2audit self-exclusion>").rules  # fixed text: it compiles
    return rule


def exclusion_rules(pid: int) -> tuple[CompiledRule, CompiledRule]:
    """Our process (every thread) and our children, in the order they should be listed."""
    return exclusion_rule(uapi.AUDIT_PID, pid), exclusion_rule(uapi.AUDIT_PPID, pid)


def excluded_pid(listed: bytes) -> int | None:
    """The pid a listed kernel rule excludes if it is a self-exclusion rule (of any daemon), else None."""
    try:
        rule = RuleData.decode(listed)
    except RuleDataError:
        return None
    if not rule.fields or rule.fields[0].field not in _FIELD_NAMES:
        return None
    field, pid = rule.fields[0].field, rule.fields[0].value
    return pid if rule == RuleData.decode(kernel_form(exclusion_rule(field, pid).data)) else None


# ------------------------------------------------------------ edge: installing and removing them


class SelfExclusion:
    """Our self-exclusion rules in the kernel: ``install`` once registered, ``remove`` at stop.

    Requests go through ``client`` (the main thread's control socket, while
    the reader drains: see ``daemon.service``); KernelError/KernelTimeout
    propagate for the caller to report.
    """

    def __init__(self, client: AuditClient, pid: int, alert: Callable[[str], None]):
        self.client, self.pid, self.alert = client, pid, alert
        self.installed: list[bytes] = []  # as the kernel lists them: what AUDIT_DEL_RULE must match

    def install(self) -> None:
        """Delete every rule with our signature (stale or ours), then prepend ours afresh.

        Also what a reload does, so rules deleted meanwhile (``auditctl -D``) come back.
        """
        self.sweep()
        for rule in reversed(exclusion_rules(self.pid)):  # each -A goes on top: the last added is listed first
            self.client.add_rule(rule.data)
            self.installed.append(kernel_form(rule.data))

    def restore(self) -> bool:
        """Re-install our rules if any is missing from the kernel's listing; whether it had to."""
        present = {RuleData.decode(listed) for listed in self.client.list_rules() if excluded_pid(listed) == self.pid}
        if all(RuleData.decode(rule) in present for rule in self.installed):
            return False
        self.install()
        return True

    def sweep(self) -> None:
        """Delete the rules bearing our signature; say which earlier daemons left some."""
        stale: set[int] = set()
        for listed in self.client.list_rules():
            pid = excluded_pid(listed)
            if pid is None:
                continue
            self.client.delete_rule(listed)
            if pid != self.pid:
                stale.add(pid)
        self.installed.clear()
        for pid in sorted(stale):
            self.alert(f"deleted the self-exclusion rules an earlier audit daemon (pid {pid}) left in the kernel")

    def remove(self) -> None:
        """Delete our rules; one already gone (``auditctl -D``) is reported, not an error."""
        while self.installed:
            try:
                self.client.delete_rule(self.installed[-1])
            except KernelError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                self.alert("a self-exclusion rule was already deleted from the kernel")
            self.installed.pop()
