"""Properties: valid rules survive compile -> decompile -> compile; any input gives a value or a typed error.

The generator writes rules the way people do, within what ``auditctl -l`` can
print back without losing information.  It leaves out, on purpose, the forms
whose auditctl listing is lossy (tested as such in test_rules_compiler.py and
test_rules_corpus.py): a syscall rule of only path/dir, perm and key fields
with ``-S all`` (listed as a watch), ``exe!=`` (listed as ``exe=``), ``filetype``
(listed as a number it cannot read back), ``path!=``/``dir!=`` (listed with
``=``), numbers of 2**31 and more in fields
printed as signed decimals, paths with spaces, an arch other than the
host's own b32/b64 (listed as b32/b64, which means the host's), and ``-A``
(the kernel forgets the prepend flag; the listing says ``-a``).
"""
from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2audit.machines import SYSCALL_TABLES
from c2audit.records import TYPE_BY_NAME
from c2audit.rules import Environment, RuleData, RuleDataError, RuleError, compile_rules_text, decompile
from c2audit.rules.fields import COMPARISON_TEXT, ERRNO_NUMBER, FSTYPE_NUMBER
from c2audit.tables import uapi

ENV = Environment(machine="x86_64", is_dir=lambda path: path.endswith("d"))
WORD = st.text(string.ascii_letters + string.digits + "_.-:", min_size=1, max_size=12).filter(
    lambda w: not w.startswith("-"))
PATH = st.lists(st.text(string.ascii_lowercase + string.digits + "_.", min_size=1, max_size=8), min_size=1,
                max_size=4).map(lambda parts: "/" + "/".join(parts)).filter(lambda p: ".." not in p)
SMALL = st.integers(0, 2**31 - 1)
U32 = st.integers(0, 2**32 - 1)
ORDERING = st.sampled_from(["=", "!=", "<", ">", "<=", ">="])
EQUALITY = st.sampled_from(["=", "!="])
SYSCALL_NAMES = {
    "b64": sorted(SYSCALL_TABLES[uapi.MACH_86_64].number),
    "b32": sorted(SYSCALL_TABLES[uapi.MACH_X86].number),
}


def field(
    name: str, operators: st.SearchStrategy[str], values: st.SearchStrategy[object]
) -> st.SearchStrategy[str]:
    return st.tuples(operators, values).map(lambda pair: f"-F {name}{pair[0]}{pair[1]}")


ID_FIELDS = st.one_of(
    *(field(name, ORDERING, st.one_of(SMALL, st.just(-1)))
      for name in ("uid", "euid", "suid", "fsuid", "auid")),
    field("auid", EQUALITY, st.just("unset")),
    *(field(name, ORDERING, SMALL) for name in ("gid", "egid", "sgid", "fsgid", "pid", "pers")),
)
SUBJECT_FIELDS = st.one_of(
    *(field(name, EQUALITY, WORD)
      for name in ("subj_user", "subj_role", "subj_type", "subj_sen", "subj_clr")))
EXIT_FIELDS = st.one_of(
    ID_FIELDS,
    SUBJECT_FIELDS,
    *(field(name, EQUALITY, WORD)
      for name in ("obj_user", "obj_role", "obj_type", "obj_lev_low", "obj_lev_high")),
    *(field(f"a{i}", st.sampled_from(["=", "!=", "&", "&="]), U32.map(hex)) for i in range(4)),
    field("obj_uid", ORDERING, SMALL),
    field("obj_gid", ORDERING, SMALL),
    field("exit", ORDERING, st.one_of(st.sampled_from(sorted(ERRNO_NUMBER)).map(lambda n: f"-{n}"), SMALL)),
    field("success", EQUALITY, st.sampled_from([0, 1])),
    field("inode", EQUALITY, U32),
    field("ppid", ORDERING, SMALL),
    field("sessionid", ORDERING, st.one_of(SMALL, st.just("unset"))),
    field("exe", st.just("="), PATH),
    field("saddr_fam", EQUALITY, st.integers(0, 45)),
    st.sampled_from(sorted({f"-C {left}{op}{right}" for left, right in COMPARISON_TEXT.values()
                            for op in ("=", "!=")})),
)
MSGTYPE = field("msgtype", EQUALITY,
                st.one_of(st.sampled_from(sorted(TYPE_BY_NAME)), st.integers(1000, 2999)))
KEYS = st.lists(WORD, max_size=3).map(lambda keys: "".join(f" -k {k}" for k in keys))
ACTION = st.sampled_from(["always", "never"])


@st.composite
def exit_rules(draw: st.DrawFn) -> str:
    arch = draw(st.sampled_from(["b64", "b32"]))
    head = f"-a {draw(ACTION)},exit -F arch={arch}"
    names = draw(st.lists(st.sampled_from(SYSCALL_NAMES[arch]), min_size=1, max_size=6))
    fields = draw(st.lists(EXIT_FIELDS, max_size=6))
    paths = draw(st.lists(st.sampled_from(["path", "dir"]).flatmap(lambda n: field(n, st.just("="), PATH)),
                          max_size=2))
    perm = draw(st.sampled_from(["", " -F perm=r", " -F perm=wa", " -F perm=rwxa"]))
    return f"{head} -S {','.join(names)} {' '.join(fields + paths)}{perm}{draw(KEYS)}"


@st.composite
def all_syscall_rules(draw: st.DrawFn) -> str:
    fields = draw(st.lists(EXIT_FIELDS, min_size=1, max_size=6))
    return f"-a {draw(ACTION)},exit -S all {' '.join(fields)}{draw(KEYS)}"


@st.composite
def other_list_rules(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["user", "exclude", "task", "filesystem"]))
    if kind == "filesystem":
        fstype = draw(st.sampled_from(sorted(FSTYPE_NUMBER)))
        return f"-a {draw(ACTION)},filesystem -F fstype={fstype}{draw(KEYS)}"
    allowed = {"user": st.one_of(ID_FIELDS, SUBJECT_FIELDS, MSGTYPE),
               "exclude": st.one_of(SUBJECT_FIELDS, MSGTYPE, field("uid", EQUALITY, SMALL)),
               "task": st.one_of(ID_FIELDS, SUBJECT_FIELDS)}[kind]
    return f"-a {draw(ACTION)},{kind} {' '.join(draw(st.lists(allowed, min_size=1, max_size=5)))}"


@st.composite
def watches(draw: st.DrawFn) -> str:
    perms = draw(st.sampled_from(["", " -p r", " -p wa", " -p x", " -p rwxa"]))
    return f"-w {draw(PATH)}{perms}{draw(KEYS)}"


RULES = st.one_of(exit_rules(), all_syscall_rules(), other_list_rules(), watches())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RULES)
def test_decompile_of_compile_recompiles_to_the_same_bytes(text: str) -> None:
    first = compile_rules_text(text, environment=ENV)
    assert not first.errors, (text, first.errors)
    data = first.rules[0].data
    listing = decompile(data)
    again = compile_rules_text(listing, environment=ENV)
    assert not again.errors, (text, listing, again.errors)
    assert again.rules[0].data == data, (text, listing)
    assert decompile(again.rules[0].data) == listing


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "\x00\x01é", max_size=200))
def test_any_text_gives_rules_or_typed_errors(text: str) -> None:
    result = compile_rules_text(text, "fuzz.rules", ENV)
    for error in result.errors:
        assert isinstance(error, RuleError) and error.origin is not None and error.origin.file == "fuzz.rules"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["-a", "always,exit", "-S", "open,all", "-F", "auid>=1000", "arch=b32",
                                 "-k", "key", "-w", "/etc", "-p", "wa", "-C", "uid!=euid", "-D", "-e", "1",
                                 "-A", "never,task", "-d", "-W", "key=x", "exit=-EPERM", "-l", "--", "x"]),
                max_size=12))
def test_any_option_sequence_gives_a_rule_or_a_typed_error(words: list[str]) -> None:
    result = compile_rules_text(" ".join(words), "seq.rules", ENV)
    assert all(isinstance(e, RuleError) for e in result.errors)
    for rule in result.rules:
        assert decompile(rule.data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1200), st.binary(max_size=40))
def test_any_bytes_decode_to_a_rule_or_a_typed_error(noise: bytes, buf: bytes) -> None:
    for data in (noise, noise.ljust(1040, b"\0")[:1036] + len(buf).to_bytes(4, "little") + buf):
        try:
            rule = RuleData.decode(data)
        except RuleDataError:
            continue
        assert isinstance(decompile(rule), str)
