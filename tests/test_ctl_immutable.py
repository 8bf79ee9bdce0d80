"""Rule changes on an immutable kernel, on the fake kernel only (never ``-e 2`` on the real one)."""
# ruff: noqa: F811 -- the fake-kernel fixtures imported from test_ctl are pytest parameters here
from __future__ import annotations

from test_ctl import ctl, fake  # noqa: F401 -- the fixtures: c2audit ctl on a fake kernel

from c2audit.ctlrules import IMMUTABLE

RULE = ["-a", "always,exit", "-F", "arch=b64", "-S", "getpgid", "-k", "c2imm"]


def test_a_rule_refused_by_an_immutable_kernel_says_so_in_auditctls_words(ctl, fake):
    assert ctl("-e", "2").status == 0
    run = ctl(*RULE)
    assert run.stderr == f"{IMMUTABLE}\n"
    assert run.status == 255  # auditctl exits 0 here; c2audit never reports success for a refused change
    assert ctl("-l").stdout == "No rules\n"


def test_other_refusals_keep_the_kernels_reason(ctl, fake):
    assert ctl(*RULE).status == 0
    again = ctl(*RULE)
    assert again.stderr == "Error sending add rule data request (Rule exists)\n"
