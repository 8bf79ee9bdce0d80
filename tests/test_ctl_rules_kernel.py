"""Kernel round trip: every corpus rule file loaded by ``c2audit ctl -c -R`` and by auditctl 3.0.9.

For each file of ``../shared/corpus/rules`` the lines that only a reboot
undoes or that endanger the machine (``-e``, ``-f``, ``--loginuid-immutable``,
in any spelling getopt accepts) are blanked *before either tool sees the file*
(blanked, not removed, so line numbers stay those of the corpus file).  ``-b``,
``-r`` and ``--backlog_wait_time`` stay: ``kernel_state`` puts them back.

auditctl 3.0.9 refuses ``-c -R FILE``, so it reads a copy whose first line is
``-c`` (its way to go on past bad lines, numbers shifted by one).  Then:

* the kernel listing after c2audit's load (read with ``auditctl -l``) equals
  the listing after auditctl's load;
* ``c2audit ctl -l`` prints exactly what ``auditctl -l`` prints -- except
  that c2audit names the syscalls newer than auditctl 3.0.9's tables (which
  prints ``452`` where c2audit, like auditctl 4.x, prints ``fchmodat2``): the
  comparison names auditctl's numbers with c2audit's table first;
* the lines c2audit reports as failed are the lines auditctl reports as failed
  (where auditctl reports at all: before it sends its first rule it writes to
  syslog, see c2audit.ctlrules), and the exit statuses agree.

The kernel is left with no rules after each file.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from c2audit.cli import ctl as cli
from c2audit.ctl import Session
from c2audit.kernel import AuditClient
from c2audit.machines import ELF_OF_MACHINE, MACHINE_OF_ELF, THIRTY_TWO_BIT_OF
from c2audit.netlink import AuditStatus
from c2audit.rules import syscalls

CORPUS_RULES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "rules"
FILES = sorted(path.name for path in CORPUS_RULES.glob("*.rules")) if CORPUS_RULES.is_dir() else []
AUDITCTL = shutil.which("auditctl") or "/usr/sbin/auditctl"
FAILED_LINE = re.compile(r"^There was an error in line (\d+) of ")
SYSCALL_LIST = re.compile(r"( -S )(\S+)")

# Files c2audit deliberately reads differently from auditctl 3.0.9, with the reason.
DIFFERENT_BY_DESIGN = {
    # c2audit's lexer takes shell quoting, as go-libaudit does (its golden bytes were loaded so);
    # auditctl -R keeps the quotes in the words and refuses the path '"/folder'.
    "go-libaudit__01-file-watch-spaces.rules": "quoted paths",
}


def dangerous(word: str) -> bool:
    """-e, -f (alone or in a cluster of short options) or any abbreviation of --loginuid-immutable."""
    if word.startswith("--"):
        return "--loginuid-immutable".startswith(word.split("=")[0]) and len(word) > 2
    return word.startswith("-") and word[1:].isalpha() and bool(set(word[1:]) & {"e", "f"})


def strip_irreversible(text: str) -> str:
    """The file with every line blanked that could set enabled, failure or the loginuid lock."""
    return "\n".join("" if any(dangerous(w) for w in line.split()) else line for line in text.split("\n"))


def test_stripping_blanks_every_dangerous_spelling():
    text = "-e 2\n  -f 2\n--loginuid-immutable\n--login\n-De 2\n-a always,exit -S open -F exit=-EPERM\n-b 8192"
    assert strip_irreversible(text).split("\n") == ["", "", "", "", "", "-a always,exit -S open -F exit=-EPERM",
                                                     "-b 8192"]


def auditctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AUDITCTL, *args], capture_output=True, text=True, timeout=120, check=False)


def c2audit(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    session = Session(out, err)
    try:
        status = cli.run(list(argv), session)
    finally:
        session.close()
    return status, out.getvalue(), err.getvalue()


def failed_lines(stderr: str, shift: int = 0) -> list[int]:
    return [int(m.group(1)) - shift for line in stderr.splitlines() if (m := FAILED_LINE.match(line))]


def named_like_c2audit(listing: str) -> str:
    """auditctl 3.0.9's listing with the syscall numbers its tables lack named from c2audit's tables."""
    host = ELF_OF_MACHINE[syscalls.machine_of(os.uname().machine)]
    lines = []
    for line in listing.split("\n"):
        arch = re.search(r" -F arch=b(32|64)", line)
        elf = host
        if arch and arch.group(1) == "32":
            elf = ELF_OF_MACHINE[THIRTY_TWO_BIT_OF[MACHINE_OF_ELF[host]]]

        def name(match: re.Match[str], elf: int = elf) -> str:
            words = [syscalls.syscall_name(int(w), elf) or w if w.isdigit() else w for w in match.group(2).split(",")]
            return match.group(1) + ",".join(words)
        lines.append(line if " -a always,io_uring" in line else SYSCALL_LIST.sub(name, line))
    return "\n".join(lines)


def test_auditctls_numbers_are_named_from_our_table():
    listing = "-a always,exit -F arch=b64 -S fchmodat,452 -F key=k\n-a always,exit -F arch=b32 -S 15,9999\n"
    assert named_like_c2audit(listing) == ("-a always,exit -F arch=b64 -S fchmodat,fchmodat2 -F key=k\n"
                                           "-a always,exit -F arch=b32 -S chmod,9999\n")


def steady(stdout: str) -> str:
    """Status blocks without the counters that move on their own (lost, backlog)."""
    return re.sub(r"^(lost|backlog|backlog_wait_time_actual) \d+$", r"\1 N", stdout, flags=re.MULTILINE)


@pytest.mark.kernel
@pytest.mark.reference
def test_the_cli_entry_point_lists_what_auditctl_lists(tmp_path, kernel_state):
    """The installed command end to end (the corpus test calls it in-process for speed)."""
    if not Path(AUDITCTL).exists():
        pytest.skip("auditctl (Debian's auditd 3.0.9) is not installed")
    if kernel_rule_count():
        pytest.skip("the kernel already holds rules")
    rules = tmp_path / "two.rules"
    rules.write_text("-a always,exit -F arch=b64 -S getpgid -k c2x\n-w /etc/hostname -p wa -k c2xw\n")
    command = [sys.executable, "-m", "c2audit", "ctl"]
    try:
        loaded = subprocess.run([*command, "-R", str(rules)], capture_output=True, text=True, timeout=60,
                                check=False)
        listed = subprocess.run([*command, "-l"], capture_output=True, text=True, timeout=60,
                                check=False)
        assert (loaded.returncode, loaded.stderr, listed.returncode) == (0, "", 0)
        assert listed.stdout == auditctl("-l").stdout == (
            "-a always,exit -F arch=b64 -S getpgid -F key=c2x\n-w /etc/hostname -p wa -k c2xw\n")
    finally:
        auditctl("-D")


def put_back_settings(found: AuditStatus) -> None:
    with AuditClient() as client:
        client.set_status(backlog_limit=found.backlog_limit, rate_limit=found.rate_limit,
                          backlog_wait_time=found.backlog_wait_time or 0)


def kernel_rule_count() -> int:
    with AuditClient() as client:
        return len(client.list_rules())


@pytest.mark.kernel
@pytest.mark.reference
@pytest.mark.parametrize("name", FILES)
def test_corpus_file_loads_as_auditctl_loads_it(name: str, tmp_path: Path, kernel_state: AuditStatus) -> None:
    if not Path(AUDITCTL).exists():
        pytest.skip("auditctl (Debian's auditd 3.0.9) is not installed")
    if kernel_rule_count():
        pytest.skip("the kernel already holds rules that a -D in a corpus file would delete")
    text = strip_irreversible((CORPUS_RULES / name).read_text(encoding="utf-8", errors="surrogateescape"))
    ours_file, theirs_file = tmp_path / name, tmp_path / f"auditctl-{name}"
    ours_file.write_text(text, encoding="utf-8", errors="surrogateescape")
    theirs_file.write_text("-c\n" + text, encoding="utf-8", errors="surrogateescape")
    try:
        theirs = auditctl("-R", str(theirs_file))
        theirs_listing = auditctl("-l").stdout
        auditctl("-D")
        put_back_settings(kernel_state)  # so that both loads start from the same status
        status, out, err = c2audit("-c", "-R", str(ours_file))
        listing_after_ours = auditctl("-l").stdout
        our_listing = c2audit("-l")[1]
    finally:
        auditctl("-D")
    assert kernel_rule_count() == 0
    assert steady(out) == steady(theirs.stdout), "what the file's -b/-D/-l lines print"
    assert our_listing == named_like_c2audit(listing_after_ours), "c2audit ctl -l must print what auditctl -l prints"
    if name in DIFFERENT_BY_DESIGN:
        assert listing_after_ours != theirs_listing, f"{name} no longer differs: drop it from DIFFERENT_BY_DESIGN"
        return
    extra = newer_syscall_rules(listing_after_ours, theirs_listing)
    ours_failed, theirs_failed = failed_lines(err), failed_lines(theirs.stderr, shift=1)
    if extra:
        # c2audit's syscall tables are newer (4.x): it loads rules auditctl 3.0.9 refuses as
        # "Syscall name unknown" (file_setattr, fchmodat2, ...); this kernel takes them
        assert set(ours_failed) <= set(theirs_failed)
        return
    assert status == theirs.returncode
    assert ours_failed[len(ours_failed) - len(theirs_failed):] == theirs_failed  # auditctl's early ones go to syslog


def newer_syscall_rules(ours: str, theirs: str) -> list[str]:
    """Rules of our listing missing from auditctl's, all of them on syscalls auditctl 3.0.9 cannot name.

    Fails unless auditctl's listing is ours less those rules, in the same order.
    """
    ours_lines, theirs_lines = ([line for line in text.splitlines() if line != "No rules"] for text in (ours, theirs))
    extra, remaining = [], iter(theirs_lines)
    expected = next(remaining, None)
    for line in ours_lines:
        if line == expected:
            expected = next(remaining, None)
        else:
            extra.append(line)
    assert expected is None, f"auditctl loaded a rule c2audit did not: {expected}"
    unnamed = [line for line in extra if not any(w.isdigit() for m in SYSCALL_LIST.finditer(line)
                                                  for w in m.group(2).split(","))]
    assert not unnamed, f"c2audit loaded rules auditctl refused, on syscalls it knows: {unnamed}"
    return extra
