"""``c2audit rules check``: errors placed at file:line:column, and the warnings of issue 3.

The corpus test runs every file of ``../shared/corpus/rules`` on a fixed host
(x86_64, only root and nobody known, no directories, every path present) so
the result does not depend on the machine, and lists every finding with the
reason it is a real problem.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from c2audit.rules.compiler import Environment
from c2audit.rules.lint import ERROR, WARNING, Finding, lint_text

CORPUS_RULES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "rules"
USERS = {"root": 0, "nobody": 65534}
HOST = Environment(machine="x86_64", lookup_user=USERS.get, lookup_group=USERS.get, is_dir=lambda path: False)

SHADOWED_BY_32BIT_API = "line 285's '-a always,exit -F arch=b32 -S all -k 32bit_api' takes every 32-bit call first"
SHADOWED_BY_PTRACE = "line 315's '-S ptrace -k tracing' takes every ptrace call first: the injection keys never show"
SAME_WATCH = "the same file is watched earlier with the same permissions and another key"
PATH_AFTER_WATCH = "'-F path=X -F perm=x' after '-w X -p x': the watch takes every exec first"
SAME_SYSCALLS = "an earlier rule on the same arch and syscalls without the extra condition takes them all"

# (file, line, code) -> why it is a real problem
EXPECTED: dict[tuple[str, int, str], str] = {
    ("Neo23x0-2018__audit.rules", 80, "unknown-user"): "_chrony is not a user here (Debian's chrony user)",
    **{("Neo23x0-2018__audit.rules", line, "shadowed"): SHADOWED_BY_32BIT_API
       for line in (314, 316, 318, 320, 377, 380, 385, 386, 391, 393, 397, 399)},
    **{("Neo23x0-2018__audit.rules", line, "shadowed"): SHADOWED_BY_PTRACE for line in (317, 319, 321)},
    ("audit-userspace-2014__contrib-nispom.rules", 85, "syscall-unknown"):
        "'-S unlink,rmdirunlinkat': a missing comma (rmdir,unlinkat); auditctl refuses the line too",
    ("audit-userspace__22-ignore-chrony.rules", 2, "unknown-user"): "chrony is not a user on this host",
    ("audit-userspace__22-ignore-chrony.rules", 3, "unknown-user"): "chrony is not a user on this host",
    ("bfuzzy__auditd-attack.rules", 94, "shadowed"): "line 92 already takes clock_settime (b32) with the same key",
    ("bfuzzy__auditd-attack.rules", 95, "shadowed"): "line 93 already takes clock_settime (b64) with the same key",
    ("bfuzzy__auditd-attack.rules", 143, "shadowed"): PATH_AFTER_WATCH,
    ("bfuzzy__auditd-attack.rules", 162, "shadowed"): PATH_AFTER_WATCH,
    ("bfuzzy__auditd-attack.rules", 240, "shadowed"): SAME_SYSCALLS + " (-F exit=EPERM)",
    ("bfuzzy__auditd-attack.rules", 241, "shadowed"): SAME_SYSCALLS + " (-F exit=EPERM)",
    **{("bfuzzy__auditd-attack.rules", line, "shadowed"): SAME_WATCH for line in (261, 262, 263)},
    **{("bfuzzy__auditd-attack.rules", line, "shadowed"): SAME_SYSCALLS + " (-F a0=...)"
       for line in range(307, 313)},
    ("go-libaudit__01-file-watch-spaces.rules", 3, "shadowed"): "the same path as line 1, only quoted differently",
    ("konstruktoid__audit-base.rules", 123, "shadowed"): PATH_AFTER_WATCH,
    ("konstruktoid__audit-base.rules", 146, "shadowed"): PATH_AFTER_WATCH,
    ("konstruktoid__audit-base.rules", 152, "shadowed"): PATH_AFTER_WATCH,
    ("konstruktoid__audit-base.rules", 221, "shadowed"): SAME_WATCH,
}


def lint(*lines: str, path_exists=lambda path: True, environment: Environment = HOST) -> list[Finding]:
    return lint_text("".join(f"{line}\n" for line in lines), "t.rules", environment, path_exists)


def codes(findings: list[Finding]) -> list[tuple[int, str]]:
    return [(f.origin.line if f.origin else 0, f.code) for f in findings]


# -- the corpus ----------------------------------------------------------------------------------

@pytest.mark.skipif(not CORPUS_RULES.is_dir(), reason="corpus not found beside the repo")
def test_corpus_findings_are_the_real_problems_listed_here():
    found = {}
    for path in sorted(CORPUS_RULES.glob("*.rules")):
        for finding in lint_text(path.read_text(), path.name, HOST):
            found[(path.name, finding.origin.line, finding.code)] = finding.severity
    assert set(found) == set(EXPECTED)
    errors = {key for key, severity in found.items() if severity == ERROR}
    assert errors == {("audit-userspace-2014__contrib-nispom.rules", 85, "syscall-unknown")}


# -- errors --------------------------------------------------------------------------------------

def test_errors_name_file_line_column_and_token():
    findings = lint("-w /etc/passwd -p wa", "-a always,exit -F arch=b64 -S opne -k k", "-a bogus,exit")
    assert [str(f) for f in findings if f.severity == ERROR] == [
        "t.rules:2:31: error: Syscall name unknown: opne (no such syscall on x86_64) (at 'opne')",
        "t.rules:3:4: error: Append rule - bad keyword bogus,exit (at 'bogus,exit')",
    ]


# -- warnings ------------------------------------------------------------------------------------

def test_contradicting_conditions_never_fire():
    findings = lint("-a always,exit -F arch=b64 -S open -F uid=0 -F uid=1",
                    "-a always,exit -F arch=b64 -F arch=b32 -S open",
                    "-a always,exit -F arch=b64 -S open -F auid>=1000 -F auid<500",
                    "-a always,exit -F arch=b64 -S open -F auid>=1000 -F auid!=unset")
    assert codes(findings) == [(1, "never-fires"), (2, "never-fires"), (3, "never-fires")]


def test_a_never_after_the_always_it_meant_to_exclude_is_shadowed():
    findings = lint("-a always,exit -F arch=b64 -S adjtimex -k time",
                    "-a never,exit -F arch=b64 -S adjtimex -F uid=root")
    assert codes(findings) == [(2, "shadowed")]
    assert "line 1 comes first in the exit list" in findings[0].message


def test_a_never_after_an_overlapping_always():
    findings = lint("-a always,exit -F arch=b64 -S open,openat -F exit=-EACCES -k access",
                    "-a never,exit -F arch=b64 -S openat -F uid=root")
    assert codes(findings) == [(2, "never-after-always")]
    assert lint("-a never,exit -F arch=b64 -S openat -F uid=root",
                "-a always,exit -F arch=b64 -S open,openat -F exit=-EACCES -k access") == []


def test_rules_that_cannot_meet_do_not_shadow():
    assert lint("-a always,exit -F arch=b64 -S open -k a", "-a always,exit -F arch=b32 -S open -k b") == []
    assert lint("-a always,exit -F arch=b64 -S open -F uid=0 -k a",
                "-a never,exit -F arch=b64 -S open -F uid=1") == []


def test_a_narrower_range_is_covered_by_a_wider_one():
    findings = lint("-a always,exit -F arch=b64 -S open -F auid>=1000 -k a",
                    "-a always,exit -F arch=b64 -S open -F auid=1005 -F auid!=unset -k b")
    assert codes(findings) == [(2, "shadowed")]


def test_watch_permissions_cover_their_subsets():
    assert codes(lint("-w /etc/shadow -p wa -k a", "-w /etc/shadow -p w -k b")) == [(2, "shadowed")]
    assert lint("-w /etc/shadow -p w -k a", "-w /etc/shadow -p wa -k b") == []


def test_watches_live_in_their_inode_list():
    """A path= rule is filtered by audit_filter_inodes, apart from the exit list: no shadowing across."""
    assert lint("-a always,exit -F arch=b64 -S all -k everything", "-w /etc/shadow -p wa -k shadow") == []


def test_duplicates_by_binary_form():
    findings = lint("-a always,exit -F arch=b64 -S open -k a", "-a exit,always -F arch=b64 -S open -F key=a")
    assert codes(findings) == [(2, "duplicate")]
    assert "the kernel refuses it (Rule exists)" in findings[0].message


def test_deletes_and_delete_all_are_replayed():
    rule = "-a always,exit -F arch=b64 -S open -k a"
    assert lint(rule, rule.replace("-a ", "-d ", 1), rule) == []
    assert lint(rule, "-D", rule) == []
    assert lint(rule, "-D -k a", rule) == []
    assert codes(lint(rule, "-D -k b", rule)) == [(3, "duplicate")]


def test_a_prepended_rule_shadows_the_rules_it_jumps():
    findings = lint("-a always,exit -F arch=b64 -S open -F uid=0 -k root-opens",
                    "-A always,exit -F arch=b64 -S open -k opens")
    assert codes(findings) == [(1, "shadowed")]
    assert "line 2 (-A) is put before it" in findings[0].message


def test_syscall_rules_without_arch_on_a_biarch_machine():
    findings = lint("-a always,exit -S 2 -k by-number")  # numbers: auditctl's own 32/64 check is silent
    assert codes(findings) == [(1, "no-arch")]
    assert codes(lint("-a always,exit -S open")) == [(1, "biarch-mismatch")]  # auditctl's warning, not twice
    assert lint("-a always,exit -S all -F uid=0") == [] and lint("-a always,exit -F uid=0") == []
    aarch64 = Environment(machine="aarch64", lookup_user=USERS.get, lookup_group=USERS.get)
    assert codes(lint("-a always,exit -S 2", environment=aarch64)) == [(1, "no-arch")]


def test_e2_must_be_last():
    findings = lint("-a always,exit -F arch=b64 -S open", "-e 2", "-w /etc/shadow -p wa")
    assert codes(findings) == [(2, "locked-early")]
    assert "line 3" in findings[0].message
    assert lint("-a always,exit -F arch=b64 -S open", "-e 2") == []


def test_watches_on_missing_paths():
    findings = lint("-w /etc/c2audit-missing -p wa", "-a always,exit -F arch=b64 -S open -F dir=/gone",
                    path_exists=lambda path: path == "/etc/shadow")
    assert codes(findings) == [(1, "missing-path"), (2, "missing-path")]
    assert findings[0].origin.token == "/etc/c2audit-missing"


def test_unknown_users_are_warnings_with_distinct_made_up_ids():
    findings = lint("-a never,exit -F arch=b64 -S open -F uid=chrony",
                    "-a never,exit -F arch=b64 -S open -F uid=ntp")
    assert codes(findings) == [(1, "unknown-user"), (2, "unknown-user")]  # no duplicate: the ids differ
    assert findings[0].origin.token == "uid=chrony" and findings[0].severity == WARNING


# -- the command ---------------------------------------------------------------------------------

def check(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "c2audit", "rules", "check", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


def test_check_exit_statuses_and_output(tmp_path):
    good, bad = tmp_path / "good.rules", tmp_path / "bad.rules"
    good.write_text("-a always,exit -F arch=b64 -S open -k a\n-a always,exit -F arch=b64 -S open -k a\n")
    bad.write_text("-a always,exit -F arch=b64 -S opne\n")
    run = check(str(good))
    assert (run.returncode, run.stdout.count("warning: the same rule as line 1")) == (0, 1)
    assert check("--strict", str(good)).returncode == 1
    run = check(str(good), str(bad))
    assert run.returncode == 1 and f"{bad}:1:31: error: Syscall name unknown: opne" in run.stdout
    assert check(str(tmp_path / "none.rules")).returncode == 2
    assert check("-", stdin="-a bogus,exit\n").stdout.startswith("<stdin>:1:4: error:")
