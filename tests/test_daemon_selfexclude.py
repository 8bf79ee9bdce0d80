"""The self-exclusion rules: what they compile to, and which listed rules bear their signature."""
from __future__ import annotations

import pytest

from c2audit.daemon.selfexclude import SELF_KEY, excluded_pid, exclusion_rules
from c2audit.rules import compile_rules_text, decompile, kernel_form
from c2audit.tables import uapi


def listed(text: str) -> bytes:
    """A rule as the kernel lists it back."""
    (rule,) = compile_rules_text(text + "\n", "t").rules
    return kernel_form(rule.data)


def test_the_rules_are_prepended_never_rules_for_our_process_and_children() -> None:
    own, children = exclusion_rules(4242)
    assert decompile(own.data) == f"-a never,exit -S all -F pid=4242 -F key={SELF_KEY}"
    assert decompile(children.data) == f"-a never,exit -S all -F ppid=4242 -F key={SELF_KEY}"
    for rule in (own, children):
        assert rule.rule.flags == uapi.AUDIT_FILTER_EXIT | uapi.AUDIT_FILTER_PREPEND
        assert rule.rule.action == uapi.AUDIT_NEVER
        assert not [f for f in rule.rule.fields if f.field == uapi.AUDIT_ARCH]  # every arch: 32-bit calls too


def test_the_signature_names_the_pid_of_either_rule_as_listed() -> None:
    own, children = exclusion_rules(4242)
    assert excluded_pid(kernel_form(own.data)) == 4242
    assert excluded_pid(kernel_form(children.data)) == 4242
    assert excluded_pid(listed(f"-A exit,never -S all -F pid=99 -F key={SELF_KEY}")) == 99


@pytest.mark.parametrize("text", [
    "-a never,exit -S all -F pid=4242",  # an administrator's own exclusion: no key
    "-a never,exit -S all -F pid=4242 -F key=mine",
    f"-a always,exit -S all -F pid=4242 -F key={SELF_KEY}",
    f"-a never,exit -S all -F pid=4242 -F uid=0 -F key={SELF_KEY}",
    f"-a never,exit -F arch=b64 -S write -F pid=4242 -F key={SELF_KEY}",
    f"-a never,exit -S all -F pid!=4242 -F key={SELF_KEY}",
    f"-w /var/log/c2audit -p wa -k {SELF_KEY}",
])
def test_rules_that_only_resemble_ours_are_not_ours(text: str) -> None:
    assert excluded_pid(listed(text)) is None


def test_bytes_that_are_no_rule_are_not_ours() -> None:
    assert excluded_pid(b"\0" * 20) is None
