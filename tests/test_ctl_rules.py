# ruff: noqa: F811 -- the fake-kernel fixtures imported from test_ctl are pytest parameters here
"""``c2audit ctl`` rule commands and rule files, against tests/fakekernel.py.

The messages and exit statuses are auditctl 3.0.9's, as observed on this
machine's kernel (``test_ctl_rules_kernel.py`` compares whole corpus loads);
what auditctl does not do -- refusing a file whole, rolling back a half-loaded
one, ``-c -R FILE`` -- is c2audit's, asked for by issue 3.
"""
from __future__ import annotations

import errno
from pathlib import Path

import pytest
from fakekernel import FakeKernel
from test_ctl import ctl, fake  # noqa: F401 -- the fixtures: c2audit ctl on a fake kernel

from c2audit.ctlrules import OnError, key_matches, listing, rules_file_request
from c2audit.rules import RuleData, compile_rule, parse_argv
from c2audit.rules.compiler import Environment
from c2audit.tables import uapi

GETPGID = "-a always,exit -F arch=b64 -S getpgid -k c2x"
GETSID = "-a always,exit -F arch=b64 -S getsid -k c2y"


@pytest.fixture
def rules_file(tmp_path):
    def write(*lines: str, name: str = "test.rules") -> str:
        path = tmp_path / name
        path.write_text("".join(f"{line}\n" for line in lines))
        return str(path)
    return write


def rule_bytes(text: str) -> bytes:
    return compile_rule(parse_argv(text.split()).rule, Environment()).data


def sent_rules(fake: FakeKernel) -> int:
    return sum(1 for request in fake.requests if request.type in (uapi.AUDIT_ADD_RULE, uapi.AUDIT_DEL_RULE))


# -- one command line ----------------------------------------------------------------------------

def test_append_list_and_delete(ctl, fake):
    assert (ctl("-l").stdout, ctl("-l").status) == ("No rules\n", 0)
    assert ctl(*GETPGID.split()).status == 0
    run = ctl(*GETSID.replace("-a", "-A").split())
    assert (run.status, run.stdout, run.stderr) == (0, "", "")
    # the kernel lists a -A rule first in its list, and as -a: it does not keep the prepend flag
    assert ctl("-l").stdout == ("-a always,exit -F arch=b64 -S getsid -F key=c2y\n"
                                "-a always,exit -F arch=b64 -S getpgid -F key=c2x\n")
    assert ctl("-d", "always,exit", "-F", "arch=b64", "-S", "getpgid", "-k", "c2x").status == 0
    assert ctl("-l").stdout == "-a always,exit -F arch=b64 -S getsid -F key=c2y\n"


def test_kernel_refusals_are_worded_as_auditctl_words_them(ctl):
    ctl(*GETPGID.split())
    again = ctl(*GETPGID.split())
    assert (again.status, again.stderr) == (255, "Error sending add rule data request (Rule exists)\n")
    missing = ctl("-W", "/etc/c2audit-not-watched")
    assert (missing.status, missing.stderr) == (
        255, "Error sending delete rule data request (No such file or directory)\n")


def test_refused_options_on_the_command_line(ctl, fake):
    assert ctl("-a", "bogus,exit").stderr == "Append rule - bad keyword bogus,exit\n"
    assert ctl("-x").stderr == "Option -x is invalid\n"
    assert ctl("-l", "-x").stderr == "Only -k or -i options are allowed\n"
    assert sent_rules(fake) == 0


def test_biarch_warning_names_no_line_on_the_command_line(ctl):
    run = ctl("-a", "always,exit", "-S", "getpgid")
    assert (run.status, run.stderr) == (0, "WARNING - 32/64 bit syscall mismatch, you should specify an arch\n")


def test_keys_match_as_substrings_in_list_and_delete_all(ctl, fake):
    ctl(*GETPGID.split())
    ctl(*GETSID.split())
    ctl("-w", "/etc/hostname", "-p", "wa")
    assert ctl("-l", "-k", "c2").stdout.count("\n") == 2
    assert ctl("-l", "-k", "nomatch").stdout == ""  # no "No rules" under a key
    run = ctl("-D", "-k", "2x")
    assert (run.status, run.stdout) == (0, "")
    assert ctl("-l").stdout == ("-a always,exit -F arch=b64 -S getsid -F key=c2y\n"
                                "-w /etc/hostname -p wa\n")
    assert ctl("-D").stdout == "No rules\n" and fake.rules == []


def test_listing_helpers():
    rule = rule_bytes(GETPGID)
    assert key_matches(rule, None) and key_matches(rule, "2x") and not key_matches(rule, "c2y")
    assert listing([], None) == ["No rules"] and listing([], "k") == []


# -- rule files ----------------------------------------------------------------------------------

def test_the_command_lines_that_read_a_file():
    assert rules_file_request(["-R", "f"]) == ("f", OnError.STOP)
    assert rules_file_request(["-c", "-R", "f"]) == ("f", OnError.CONTINUE)
    assert rules_file_request(["-R", "f", "-i"]) == ("f", OnError.IGNORE)
    assert rules_file_request(["-R", "f", "-R", "g"]) is None  # parse_argv refuses it as auditctl does


def test_a_good_file_loads_and_prints_what_its_lines_print(ctl, fake, rules_file):
    path = rules_file("# comment", "", "-D", "-b 8192", GETPGID, "-w /etc/hostname -p wa -k c2xw")
    run = ctl("-R", path)
    assert run.status == 0 and run.stderr == ""
    assert run.stdout.startswith("No rules\nenabled 0\nfailure 1\n") and "backlog_limit 8192\n" in run.stdout
    assert len(fake.rules) == 2 and fake.backlog_limit == 8192


def test_a_bad_line_refuses_the_whole_file_before_the_kernel_hears_of_it(ctl, fake, rules_file):
    path = rules_file("-b 8192", GETPGID, "-a bogus,exit -S open", "-w relative/path", GETSID)
    run = ctl("-R", path)
    assert run.status == 1
    assert run.stderr.splitlines() == [
        "Append rule - bad keyword bogus,exit",
        f"There was an error in line 3 of {path}",
        "The path must start with '/'",
        f"There was an error in line 4 of {path}",
        f"{path}: refused: 2 bad line(s), nothing loaded (-c loads the good lines and reports the bad)",
    ]
    assert sent_rules(fake) == 0 and fake.backlog_limit == 64


def test_an_unknown_option_in_a_file_names_its_line(ctl, rules_file):
    path = rules_file(GETPGID, "-x")
    assert ctl("-R", path).stderr.splitlines()[0] == "Option -x on line 2 is invalid"


def test_a_kernel_refusal_rolls_the_file_back(ctl, fake, rules_file):
    fake.rules.append(rule_bytes(GETSID))
    path = rules_file("-b 8192", "-r 100", GETPGID, "-w /etc/hostname -p wa", GETSID)
    run = ctl("-R", path)
    assert run.status == 1
    assert run.stderr.splitlines() == [
        "Error sending add rule data request (Rule exists)",
        f"There was an error in line 5 of {path}",
        (f"{path}: nothing loaded: the kernel's rules and settings were put back "
         "(-c loads the good lines and reports the bad)"),
    ]
    assert fake.rules == [rule_bytes(GETSID)]
    assert (fake.backlog_limit, fake.rate_limit) == (64, 0)


def test_a_rollback_after_delete_all_restores_the_rules_in_their_order(ctl, fake, rules_file):
    before = [rule_bytes(GETPGID), rule_bytes(GETSID)]
    fake.rules.extend(before)
    path = rules_file("-D", GETSID, "-a always,exit -F arch=b64 -S getpid", GETSID)
    assert ctl("-R", path).status == 1
    assert fake.rules == before


def test_continue_loads_the_good_lines_and_fails_at_the_end(ctl, fake, rules_file):
    path = rules_file(GETPGID, "-a bogus,exit -S open", GETSID, GETPGID)
    run = ctl("-c", "-R", path)
    assert run.status == 1
    assert run.stderr.splitlines() == [
        "Append rule - bad keyword bogus,exit",
        f"There was an error in line 2 of {path}",
        "Error sending add rule data request (Rule exists)",
        f"There was an error in line 4 of {path}",
        f"{path}: 2 line(s) failed: 2, 4; the other lines were loaded",
    ]
    assert len(fake.rules) == 2
    assert ctl("-R", path, "-c").status == 1  # either order


def test_ignore_goes_on_and_succeeds(ctl, fake, rules_file):
    path = rules_file(GETPGID, "-a bogus,exit -S open", GETSID)
    run = ctl("-i", "-R", path)
    assert run.status == 0 and len(fake.rules) == 2
    assert run.stderr.splitlines()[-1] == f"There was an error in line 2 of {path}"


def test_a_continue_line_covers_only_the_lines_after_it(ctl, fake, rules_file):
    late = rules_file(GETPGID, "-c", "-a bogus,exit -S open", GETSID)
    assert ctl("-R", late).status == 1 and len(fake.rules) == 2
    fake.rules.clear()
    early = rules_file("-a bogus,exit -S open", "-c", GETSID, name="early.rules")
    run = ctl("-R", early)
    assert run.status == 1 and fake.rules == [] and "refused" in run.stderr


def test_an_ignore_line_in_the_file(ctl, fake, rules_file):
    path = rules_file("-i", GETPGID, "-a bogus,exit -S open", GETSID)
    assert ctl("-R", path).status == 0 and len(fake.rules) == 2


def test_files_that_cannot_be_read(ctl, tmp_path):
    missing = ctl("-R", str(tmp_path / "none.rules"))
    assert (missing.status, missing.stderr) == (1, f"audit rules file {tmp_path / 'none.rules'} doesn't exist\n")
    directory = ctl("-R", str(tmp_path))
    assert (directory.status, directory.stderr) == (1, f"Error - {tmp_path} is not a regular file\n")


def test_an_immutable_kernel_refuses_the_file_at_once(ctl, fake, rules_file):
    fake.enabled = 2
    run = ctl("-R", rules_file(GETPGID))
    assert (run.status, run.stderr) == (1, "The audit system is in immutable mode, no rule changes allowed\n")
    assert sent_rules(fake) == 0


def test_rules_after_e2_fail_and_cannot_be_rolled_back(ctl, fake, rules_file):
    """Only on the fake kernel: -e 2 locks a real one until reboot."""
    path = rules_file(GETPGID, "-e 2", GETSID)
    run = ctl("-R", path)
    assert run.status == 1
    assert "Error sending add rule data request (Operation not permitted)" in run.stderr
    assert run.stderr.splitlines()[-1].endswith("the kernel holds part of the file")
    assert fake.enabled == 2 and fake.rules == [rule_bytes(GETPGID)]


def test_a_legacy_kernel_without_directory_watches_gets_a_plain_watch(ctl, fake):
    """auditctl retries a refused AUDIT_DIR watch as AUDIT_WATCH."""
    original = fake._change_rule

    def no_dir_watches(kind: int, rule: bytes) -> None:
        if RuleData.decode(rule).fields[0].field == uapi.AUDIT_DIR:
            raise OSError(errno.EINVAL, "no directory watches")
        original(kind, rule)

    fake._change_rule = no_dir_watches
    assert ctl("-w", "/etc", "-p", "wa").status == 0
    assert Path("/etc").is_dir() and RuleData.decode(fake.rules[0]).fields[0].field == uapi.AUDIT_WATCH
