"""Every real rule file of the corpus parses and compiles, with no false errors.

The compile runs on a fixed environment (x86_64, no user or group names, no
directories) so the result does not depend on the test host; the errors it
finds are the real ones listed in ``REAL_ERRORS`` with their reason.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest

from c2audit.cli.rules import main as rules_main
from c2audit.rules import Environment, compile_rules_text, decompile

ENVIRONMENT = Environment(machine="x86_64")

# (file, line, error code): the problems a real auditctl would also refuse on this host
REAL_ERRORS = {
    ("Neo23x0-2018__audit.rules", 80, "user-unknown"):
        "uid=_chrony names a user; auditctl resolves it with getpwnam on the loading host, which has none",
    ("audit-userspace-2014__contrib-nispom.rules", 85, "syscall-unknown"):
        "'-S unlink,rmdirunlinkat' lacks a comma: rmdirunlinkat is no syscall (fixed in later versions)",
    ("audit-userspace__22-ignore-chrony.rules", 2, "user-unknown"):
        "uid=chrony: no such user on the loading host (the rule is meant for hosts running chronyd)",
    ("audit-userspace__22-ignore-chrony.rules", 3, "user-unknown"):
        "uid=chrony: no such user on the loading host (the rule is meant for hosts running chronyd)",
}
# kernel rules per file (after refusing nothing): guards against silently dropped lines
RULE_COUNTS = {
    "Neo23x0-2018__audit.rules": 203, "audit-userspace-2014__contrib-capp.rules": 63,
    "audit-userspace-2014__contrib-nispom.rules": 35, "audit-userspace-2014__contrib-stig.rules": 35,
    "audit-userspace-2021__30-nispom.rules": 37, "audit-userspace__30-ospp-v42.rules": 72,
    "audit-userspace__30-pci-dss-v31.rules": 46, "bfuzzy__auditd-attack.rules": 215,
    "konstruktoid__audit-base.rules": 177, "konstruktoid__audit-docker.rules": 33,
}


def corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "rules").iterdir())


def test_corpus_rule_files_compile_with_only_the_real_errors(corpus: Path) -> None:
    found = {}
    for path in corpus_files(corpus):
        compiled = compile_rules_text(path.read_text(), path.name, ENVIRONMENT)
        for error in compiled.errors:
            found[(path.name, error.origin.line, error.code)] = str(error)
        if path.name in RULE_COUNTS:
            assert len(compiled.rules) == RULE_COUNTS[path.name], path.name
    assert set(found) == set(REAL_ERRORS), found


def test_known_user_names_clear_the_host_dependent_errors(corpus: Path) -> None:
    users = {"chrony": 996, "_chrony": 995}
    environment = Environment(machine="x86_64", lookup_user=users.get)
    for path in corpus_files(corpus):
        errors = compile_rules_text(path.read_text(), path.name, environment).errors
        assert {(path.name, e.origin.line, e.code) for e in errors} <= {
            key for key in REAL_ERRORS if key[2] != "user-unknown"}


def test_control_lines_parse_to_typed_commands(corpus: Path) -> None:
    """-D, -b, -f, -e, --backlog_wait_time, -i, -c and --loginuid-immutable lines are commands, not rules."""
    kinds = set()
    for path in corpus_files(corpus):
        parsed = compile_rules_text(path.read_text(), path.name, ENVIRONMENT).parsed
        kinds |= {type(c).__name__ for line in parsed.lines for c in line.commands}
    assert {"DeleteAllRules", "SetBacklogLimit", "SetFailure", "SetEnabled", "SetBacklogWaitTime",
            "IgnoreErrors", "ContinueOnErrors", "SetLoginuidImmutable", "RuleCommand"} <= kinds


@pytest.mark.parametrize("name", ["audit-userspace__30-ospp-v42.rules", "bfuzzy__auditd-attack.rules"])
def test_cli_compiles_a_corpus_file(corpus: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert rules_main(["compile", "--json", "--machine", "x86_64", str(corpus / "rules" / name)]) == 0
    assert '"line": ' in capsys.readouterr().out


def test_cli_refuses_a_file_with_a_bad_line_unless_c(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(corpus / "rules" / "audit-userspace-2014__contrib-nispom.rules")
    assert rules_main(["compile", "--json", "--machine", "x86_64", path]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == "[]"
    assert f"{path}:85:31: error: Syscall name unknown: rmdirunlinkat" in captured.err
    assert rules_main(["compile", "--json", "-c", "--machine", "x86_64", path]) == 1
    assert capsys.readouterr().out.count('"line"') == 35  # the good rules, kept


def test_corpus_rules_decompile_and_mostly_round_trip(corpus: Path) -> None:
    """auditctl -l text recompiles to the same bytes, except where auditctl -l itself loses information.

    Those exceptions are auditctl's listing format: a syscall rule with only dir/path, perm and key
    fields prints as a watch (``-F dir=/x/`` becomes ``-w /x/``, which a recompile stats and trims),
    and paths with spaces print unquoted.
    """
    lossy = 0
    for path in corpus_files(corpus):
        for rule in compile_rules_text(path.read_text(), path.name, ENVIRONMENT).rules:
            text = decompile(rule.data)
            again = compile_rules_text(text, environment=ENVIRONMENT)
            if again.errors or again.rules[0].data != rule.data:
                assert text.startswith("-w "), text
                lossy += 1
    assert lossy == 7


# auditctl 3.0.9 refuses these rules; c2audit takes them, for the reason given
NEWER_THAN_AUDITCTL_3_0_9 = {
    "audit-userspace__30-ospp-v42-5-perm-change-failed.rules": (
        4, "fchmodat2, setxattrat, removexattrat, file_setattr are newer than its syscall tables"),
    "audit-userspace__30-ospp-v42-5-perm-change-success.rules": (2, "same syscalls"),
    "audit-userspace__30-ospp-v42-6-owner-change-failed.rules": (4, "file_setattr is newer than its tables"),
    "audit-userspace__30-ospp-v42.rules": (2, "same syscalls"),
}


@pytest.mark.kernel
@pytest.mark.reference
def test_corpus_compiles_to_what_auditctl_loads(
    corpus: Path, tmp_path: Path, kernel_state: object
) -> None:
    """Each corpus file's rule lines, loaded by auditctl -c -R and by us: the kernel lists the same bytes.

    Control lines are left out (they would change the kernel's settings); quotes are read as auditctl
    reads them; the host is asked what auditctl asks it.  The only differences are rules whose syscalls
    auditctl 3.0.9's tables are too old to know.
    """
    from c2audit.kernel import AuditClient, KernelError
    from c2audit.rules.host import host_environment

    if shutil.which("auditctl") is None:
        pytest.skip("auditctl is not installed (apt-get install auditd)")
    environment = host_environment()
    with AuditClient() as client:
        if client.list_rules():
            pytest.skip("the kernel holds rules already")
        for path in corpus_files(corpus):
            text = path.read_text()
            compiled = compile_rules_text(text, path.name, environment, shell_quotes=False)
            wanted = {r.origin.line for r in compiled.rules} | {e.origin.line for e in compiled.errors}
            only_rules = tmp_path / path.name
            only_rules.write_text("-c\n" + "\n".join(line if number in wanted else ""
                                                     for number, line in enumerate(text.split("\n"), 1)))
            # check=False: with -c, auditctl skips the rules it refuses; the kernel's list is compared below
            subprocess.run(["auditctl", "-R", str(only_rules)], capture_output=True, check=False)
            theirs = client.list_rules()
            for rule in theirs:
                client.delete_rule(rule)
            for rule in compiled.rules:
                with contextlib.suppress(KernelError):  # as auditctl -c: a refused rule is skipped
                    client.add_rule(rule.data)
            ours = client.list_rules()
            for rule in ours:
                client.delete_rule(rule)
            extra, _ = NEWER_THAN_AUDITCTL_3_0_9.get(path.name, (0, ""))
            assert [r for r in ours if r in set(theirs)] == theirs, path.name
            assert len(ours) - len(theirs) == extra, path.name
