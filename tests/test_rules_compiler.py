"""Field values, syscalls, order rules, errors and warnings of the compiler; the decompiler's details."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from c2audit.rules import (
    Environment,
    RuleData,
    RuleDataError,
    compile_rules_text,
    decompile,
    decompile_listing,
    kernel_form,
)
from c2audit.rules.compiler import CompiledRule
from c2audit.rules.errors import FieldError, RuleError, SyscallError
from c2audit.tables import uapi

USERS = {"root": 0, "daemon": 1, "chrony": 996}
GROUPS = {"root": 0, "adm": 4}
ENV = Environment(
    machine="x86_64",
    lookup_user=USERS.get,
    lookup_group=GROUPS.get,
    is_dir=lambda path: path in ("/etc", "/var/log/audit"),
)
ALL = 0xFFFFFFFF


def compiled(text: str, environment: Environment = ENV) -> CompiledRule:
    result = compile_rules_text(text, "t.rules", environment)
    assert not result.errors, result.errors
    (rule,) = result.rules
    return rule


def fields_of(text: str) -> list[tuple[int, int, int]]:
    return [(f.field, f.operator, f.value) for f in compiled(text).rule.fields]


def error_of(text: str, environment: Environment = ENV) -> RuleError:
    result = compile_rules_text(text, "t.rules", environment)
    assert result.errors and not result.rules, result.rules
    return result.errors[0]


def syscalls_of(rule: CompiledRule) -> set[int]:
    return {n for n in range(2048) if rule.rule.mask[n // 32] >> (n % 32) & 1}


EQ, NE, GE = uapi.AUDIT_EQUAL, uapi.AUDIT_NOT_EQUAL, uapi.AUDIT_GREATER_THAN_OR_EQUAL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000", 1000),
        ("unset", ALL),
        ("-1", ALL),
        ("0x10", 16),
        ("010", 8),
        ("root", 0),
        ("chrony", 996),
        ("4294967295", ALL),
    ],
)
def test_uid_values(value: str, expected: int) -> None:
    assert fields_of(f"-a always,exit -S all -F auid>={value}")[0] == (uapi.AUDIT_LOGINUID, GE, expected)


def test_gid_values_and_names() -> None:
    assert fields_of("-a always,exit -S all -F gid=adm -F egid!=7")[:2] == [
        (uapi.AUDIT_GID, EQ, 4),
        (uapi.AUDIT_EGID, NE, 7),
    ]
    assert error_of("-a always,exit -S all -F gid=-1").message == "Unknown group: -1"  # as auditctl


@pytest.mark.parametrize(("value", "expected"), [("-EACCES", -13), ("EPERM", 1), ("-13", -13), ("0", 0)])
def test_exit_values(value: str, expected: int) -> None:
    assert fields_of(f"-a always,exit -S all -F exit={value}")[0] == (uapi.AUDIT_EXIT, EQ, expected & ALL)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("-a always,exclude -F msgtype=EOE", uapi.AUDIT_MSGTYPE, 1320),
        ("-a always,exclude -F msgtype=eoe", uapi.AUDIT_MSGTYPE, 1320),
        ("-a always,exclude -F msgtype=UNKNOWN[1999]", uapi.AUDIT_MSGTYPE, 1999),
        ("-a never,user -F msgtype=1100", uapi.AUDIT_MSGTYPE, 1100),
        ("-a always,exit -S all -F perm=wa", uapi.AUDIT_PERM, uapi.AUDIT_PERM_WRITE | uapi.AUDIT_PERM_ATTR),
        ("-a always,exit -S all -F filetype=dir", uapi.AUDIT_FILETYPE, 0o040000),
        ("-a never,filesystem -F fstype=debugfs", uapi.AUDIT_FSTYPE, 0x64626720),
        ("-a never,filesystem -F fstype=0x1234", uapi.AUDIT_FSTYPE, 0x1234),
        ("-a always,exit -S all -F a0=-1", uapi.AUDIT_ARG0, ALL),
        ("-a always,exit -S all -F a2&0x7C020000", uapi.AUDIT_ARG2, 0x7C020000),
        ("-a always,exit -S all -F sessionid=unset", uapi.AUDIT_SESSIONID, ALL),
        ("-a always,exit -S all -F saddr_fam=10", uapi.AUDIT_SADDR_FAM, 10),
        ("-a always,exit -S all -F inode=4294967295", uapi.AUDIT_INODE, ALL),
        ("-a always,exit -S all -F success=1", uapi.AUDIT_SUCCESS, 1),
        ("-a always,exit -S all -F pers=0x0008", uapi.AUDIT_PERS, 8),
    ],
)
def test_value_forms(text: str, field: int, value: int) -> None:
    assert fields_of(text)[0][::2] == (field, value)


def test_strings_go_to_buf_in_field_order() -> None:
    rule = compiled(
        "-a always,exit -S all -F dir=/etc -F subj_type=crond_t -F obj_user=system_u "
        "-F exe=/bin/ls -k one -k two"
    ).rule
    assert rule.buf == b"/etccrond_tsystem_u/bin/lsone\x01two"
    assert [(f.field, f.value) for f in rule.fields] == [
        (uapi.AUDIT_DIR, 4),
        (uapi.AUDIT_SUBJ_TYPE, 7),
        (uapi.AUDIT_OBJ_USER, 8),
        (uapi.AUDIT_EXE, 7),
        (uapi.AUDIT_FILTERKEY, 7),
    ]


@pytest.mark.parametrize(
    ("text", "elf"),
    [
        ("-F arch=b64", uapi.AUDIT_ARCH_X86_64),
        ("-F arch=b32", uapi.AUDIT_ARCH_I386),
        ("-F arch=x86_64", uapi.AUDIT_ARCH_X86_64),
        ("-F arch=i686", uapi.AUDIT_ARCH_I386),
        ("-F arch=aarch64", uapi.AUDIT_ARCH_AARCH64),
        ("-F arch=0xc000003e", uapi.AUDIT_ARCH_X86_64),
        ("-F arch!=B32", uapi.AUDIT_ARCH_I386),
    ],
)
def test_arch_values(text: str, elf: int) -> None:
    assert fields_of(f"-a always,exit {text} -S all")[0][::2] == (uapi.AUDIT_ARCH, elf)


@pytest.mark.parametrize(
    ("machine", "b32", "b64"),
    [
        ("aarch64", uapi.AUDIT_ARCH_ARM, uapi.AUDIT_ARCH_AARCH64),
        ("ppc64", uapi.AUDIT_ARCH_PPC, uapi.AUDIT_ARCH_PPC64),
        ("s390x", uapi.AUDIT_ARCH_S390, uapi.AUDIT_ARCH_S390X),
        ("riscv64", uapi.AUDIT_ARCH_RISCV32, uapi.AUDIT_ARCH_RISCV64),
    ],
)
def test_b32_and_b64_follow_the_machine(machine: str, b32: int, b64: int) -> None:
    environment = Environment(machine=machine)
    assert compiled("-a always,exit -F arch=b32 -S all", environment).rule.fields[0].value == b32
    assert compiled("-a always,exit -F arch=b64 -S all", environment).rule.fields[0].value == b64


def test_b64_on_a_32_bit_machine_is_refused() -> None:
    error = error_of("-a always,exit -F arch=b64 -S all", Environment(machine="i686"))
    assert error.code == "arch-unknown" and "bit level not supported" in error.message


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("-F arch=b64 -S open,truncate", {2, 76}),
        ("-F arch=b64 -S open -S truncate", {2, 76}),
        ("-F arch=b32 -S open,truncate", {5, 92}),
        ("-F arch=b32 -S stime", {25}),
        ("-F arch=b64 -S 2,300", {2, 300}),
        ("-F arch=aarch64 -S openat", {56}),
        ("-S open", {2}),  # no arch: the machine's
    ],
)
def test_syscalls_resolve_on_the_rules_arch(text: str, numbers: set[int]) -> None:
    assert syscalls_of(compiled(f"-a always,exit {text}")) == numbers


def test_all_and_no_syscall_mean_every_syscall_except_on_task() -> None:
    for text in (
        "-a always,exit -S all",
        "-a always,exit -F auid=0",
        "-a never,user -F uid=0",
        "-a always,exit -F arch=b64 -S open,all",
    ):
        assert compiled(text).rule.mask == (ALL,) * 64
    assert compiled("-a always,task -F uid=0").rule.mask == (0,) * 64


def test_a_syscall_missing_from_the_arch_names_the_arch() -> None:
    error = error_of("-a always,exit -F arch=b64 -S stime")
    assert isinstance(error, SyscallError) and error.code == "syscall-unknown"
    assert error.message == "Syscall name unknown: stime (no such syscall on x86_64)"
    assert (error.origin.line, error.origin.column, error.origin.token) == (1, 31, "stime")
    assert "no such syscall on i386" in error_of("-a always,exit -F arch=b32 -S rmdirunlinkat").message
    assert "no such syscall on x86_64" in error_of("-a always,exit -S 2048").message


def test_io_uring_list_takes_io_uring_ops() -> None:
    rule = compiled("-a always,io_uring -S openat,connect -F key=u")
    assert syscalls_of(rule) == {18, 16} and rule.rule.flags == uapi.AUDIT_FILTER_URING_EXIT
    assert error_of("-a always,io_uring -S open").message == "io_uring op unknown: open"


def test_watches() -> None:
    rule = compiled("-w /etc/passwd -p wa -k identity").rule
    assert (rule.flags, rule.action, rule.mask) == (uapi.AUDIT_FILTER_EXIT, uapi.AUDIT_ALWAYS, (ALL,) * 64)
    assert [(f.field, f.value) for f in rule.fields] == [
        (uapi.AUDIT_WATCH, 11),
        (uapi.AUDIT_PERM, uapi.AUDIT_PERM_WRITE | uapi.AUDIT_PERM_ATTR),
        (uapi.AUDIT_FILTERKEY, 8),
    ]
    directory = compiled("-w /var/log/audit/ -k logs").rule  # stat says directory; the slash is trimmed
    assert directory.buf == b"/var/log/auditlogs" and directory.fields[0].field == uapi.AUDIT_DIR
    assert directory.fields[1].value == 15  # rwxa by default
    assert compiled("-W /etc/passwd").operation.value == "delete"


def test_p_adds_or_updates_the_perm_field() -> None:
    assert fields_of("-a always,exit -S all -F path=/x -p wa")[1][::2] == (uapi.AUDIT_PERM, 10)
    assert fields_of("-w /x -p r -p x")[1][::2] == (uapi.AUDIT_PERM, uapi.AUDIT_PERM_EXEC)


def test_comparisons_are_symmetric() -> None:
    assert fields_of("-a always,exit -S all -C uid!=euid")[0] == (
        uapi.AUDIT_FIELD_COMPARE,
        NE,
        uapi.AUDIT_COMPARE_UID_TO_EUID,
    )
    assert fields_of("-a always,exit -S all -C euid=uid")[0][2] == uapi.AUDIT_COMPARE_UID_TO_EUID
    assert fields_of("-a always,exit -S all -C auid!=obj_uid")[0][2] == uapi.AUDIT_COMPARE_AUID_TO_OBJ_UID


def test_keys_join_with_x01_and_go_last() -> None:
    rule = compiled("-a always,exit -F arch=b64 -S open -F key=a -F auid=0 -k b").rule
    assert rule.fields[-1].field == uapi.AUDIT_FILTERKEY and rule.buf == b"a\x01b"


def test_empty_keys_join_as_auditctl_joins_them() -> None:
    assert compiled("-w /x -k '' -k a").rule.buf == b"/xa"
    assert compiled("-w /x -k a -k ''").rule.buf == b"/xa\x01"
    assert [f.field for f in compiled("-w /x -F key=").rule.fields] == [uapi.AUDIT_WATCH, uapi.AUDIT_PERM]


def test_prepend_sets_the_prepend_flag_in_what_is_sent_not_in_the_kernel_form() -> None:
    prepended, appended = compiled("-A always,exit -S all").data, compiled("-a always,exit -S all").data
    assert RuleData.decode(prepended).flags == uapi.AUDIT_FILTER_EXIT | uapi.AUDIT_FILTER_PREPEND
    assert kernel_form(prepended) == kernel_form(appended)


@pytest.mark.parametrize(
    ("text", "code", "message", "token"),
    [
        ("-a always,exit -S open -F arch=b64", "arch-after-syscall", "arch must be before -S", "arch=b64"),
        (
            "-a always,exit -F arch=b64 -S open -k " + "k" * 257,
            "key-too-long",
            "key option exceeds size limit (256 bytes)",
            "k" * 257,
        ),
        (
            "-a always,exit -S all -k " + "a" * 200 + " -k " + "b" * 56,
            "key-too-long",
            "key option exceeds size limit (256 bytes)",
            "b" * 56,
        ),
        (
            "-a always,exit -F auid=0 -k x",
            "key-needs-anchor",
            "key option needs a watch or syscall given prior to it",
            "x",
        ),
        (
            "-a always,exit -F auid=0 -F key=x",
            "key-needs-anchor",
            "Key field needs a watch, syscall or exe path given prior to it",
            "-a",
        ),
        (
            "-a always,user -S open",
            "syscall-on-list",
            "Error: syscall auditing being added to user list",
            "open",
        ),
        (
            "-a always,exclude -S open",
            "syscall-on-list",
            "Error: syscall auditing cannot be put on exclude list",
            "open",
        ),
        (
            "-a always,task -S open",
            "syscall-on-list",
            "Error: syscall auditing being added to task list",
            "open",
        ),
        (
            "-S open -a always,task",
            "syscall-on-task",
            "Syscall auditing requested for task list",
            "always,task",
        ),
        ("-S open", "list-missing", "Error - no list specified", "-S"),
        ("-F auid=0 -a always,exit", "list-missing", "List must be given before field", "auid=0"),
        (
            "-a always,exit -w /etc",
            "watch-with-syscall",
            "watch option can't be given with a syscall",
            "/etc",
        ),
        (
            "-w /etc -a always,exit",
            "multiple-rules",
            "Multiple rule insert/delete operations are not allowed",
            "always,exit",
        ),
        ("-w etc/passwd", "path-not-absolute", "The path must start with '/'", "etc/passwd"),
        ("-p wa", "perm-needs-watch", "permission option needs a watch given prior to it", "wa"),
        ("-w /x -p rwxa5", "perm-too-long", "permission rwxa5 is too long", "rwxa5"),
        ("-w /x -p z", "perm-letter", "Permission z isn't supported", "z"),
        (
            "-a always,exit -S all -F perm=q",
            "perm-letter",
            "Permission can only contain  'rwxa' (not 'q')",
            "perm=q",
        ),
        ("-a always,exit -S all -F perm!=r", "operator-not-equal", "perm only takes = operator", "perm!=r"),
        (
            "-a always,exit -S all -F inode>5",
            "operator-not-equality",
            "inode only takes = or != operators",
            "inode>5",
        ),
        (
            "-a always,exit -S all -F exe>/x",
            "operator-not-equality",
            "exe only takes = or != operators",
            "exe>/x",
        ),
        (
            "-a always,exit -F arch<b64",
            "operator-not-equality",
            "arch only takes = or != operators",
            "arch<b64",
        ),
        ("-a always,exit -F arch=sparc", "arch-unknown", "arch=sparc machine type not found", "arch=sparc"),
        ("-a always,exit -F arch=uring", "arch-unknown", "arch=uring elf mapping not found", "arch=uring"),
        (
            "-a always,exit -S all -F uid=nobody_here",
            "user-unknown",
            "Unknown user: nobody_here",
            "uid=nobody_here",
        ),
        ("-a always,exit -S all -F exit=-EFOO", "errno-unknown", "-F unknown errno - -EFOO", "exit=-EFOO"),
        (
            "-a always,exit -S all -F msgtype=EOE",
            "msgtype-list",
            "msgtype field can only be used with exclude or user filter list",
            "msgtype=EOE",
        ),
        (
            "-a always,exclude -F msgtype=NOPE",
            "msgtype-unknown",
            "-F unknown message type - NOPE",
            "msgtype=NOPE",
        ),
        (
            "-a always,exclude -F euid=0",
            "exclude-field",
            "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter",
            "euid=0",
        ),
        ("-a never,user -F path=/x", "exit-only", "path can only be used with exit filter list", "path=/x"),
        (
            "-a never,user -F success=1",
            "exit-only",
            "success can only be used with exit filter list",
            "success=1",
        ),
        ("-a never,user -C uid=euid", "exit-only", "uid can only be used with exit filter list", "uid=euid"),
        (
            "-a always,exit -S all -C uid=gid",
            "comparison-incompatible",
            "-C incompatible comparison uid with gid",
            "uid=gid",
        ),
        (
            "-a always,exit -S all -F fstype=debugfs",
            "field-not-for-list",
            "fstype field is not valid for the filter",
            "fstype=debugfs",
        ),
        (
            "-a never,filesystem -F fstype=nofs",
            "fstype-unknown",
            "file system type is unknown for field: nofs",
            "fstype=nofs",
        ),
        (
            "-a always,exit -S all -F filetype=pipe",
            "filetype-unknown",
            "-F unknown file type - pipe",
            "filetype=pipe",
        ),
        ("-a always,exit -S all -F a0=x", "field-value-number", "-F value should be number for a0", "a0=x"),
        (
            "-a always,exit -S all -F pid=-1",
            "field-value-number",
            "-F value should be number for pid",
            "pid=-1",
        ),
        (
            "-a always,exit -S all -F sessionid=x",
            "field-value-number",
            "-F value should be number for sessionid",
            "sessionid=x",
        ),
        (
            "-a always,exit -S all -F saddr_fam=99",
            "value-too-large",
            "value is too large for field: saddr_fam",
            "saddr_fam=99",
        ),
        (
            "-a always,exit -S all -F obj_user=" + "u" * 4097,
            "string-too-long",
            "String value too long for obj_user (4097 > 4096 bytes)",
            "obj_user=" + "u" * 4097,
        ),
        (
            "-a always,exit -S all" + " -F pid=1" * 64,
            "too-many-fields",
            "Too many fields in rule: pid",
            "pid=1",
        ),
    ],
)
def test_errors_are_typed_and_placed(text: str, code: str, message: str, token: str) -> None:
    error = error_of(text)
    assert (error.code, error.message, error.origin.token) == (code, message, token)
    assert error.origin.file == "t.rules" and error.origin.line == 1 and error.origin.text == text
    assert text[error.origin.column - 1 :].startswith(token)
    assert isinstance(error, RuleError)


def test_field_errors_are_field_errors() -> None:
    assert isinstance(error_of("-a always,exit -S all -F uid=nobody_here"), FieldError)


def test_warnings_name_their_place() -> None:
    result = compile_rules_text(
        "-a always,exit -S open -k x\n-w /etc/../x -k y\n-w /etc/*.conf\n"
        "-a always,exit -S all -F auid>=1000abc",
        "w.rules",
        ENV,
    )
    assert not result.errors
    assert [(w.code, w.origin.line) for w in result.warnings] == [
        ("biarch-mismatch", 1),
        ("relative-path", 2),
        ("wildcard", 3),
        ("number-tail", 4),
    ]
    assert str(result.warnings[0]) == (
        "w.rules:1:19: warning: WARNING - 32/64 bit syscall mismatch in line 1, you should specify an arch"
    )
    assert result.rules[3].rule.fields[0].value == 1000  # auditctl's strtol stops at the letters
    assert not compile_rules_text("-a always,exit -S all -k x", environment=ENV).warnings


# --- decompiler details -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "listing"),
    [
        (
            "-a always,exit -F arch=b64 -S open -F auid>=1000 -F auid!=unset -k k",
            "-a always,exit -F arch=b64 -S open -F auid>=1000 -F auid!=-1 -F key=k",
        ),
        ("-A exit,never -S all -F exit=5 -F exit!=-EPERM", "-a never,exit -S all -F exit=5 -F exit!=-EPERM"),
        ("-a always,exclude -F msgtype=1999", "-a always,exclude -F msgtype=1999"),
        (
            "-a always,exit -S all -F exe!=/bin/ls -F perm=rx",
            "-a always,exit -S all -F exe=/bin/ls -F perm=rx",
        ),
        ("-a never,filesystem -F fstype=tracefs -k fs", "-a never,filesystem -F fstype=tracefs -F key=fs"),
        ("-a always,task -F pid=1", "-a always,task -F pid=1"),
        ("-a never,exit -S all -F path=/x -F perm=w", "-w /x -p w"),  # auditctl -l shows it as a watch
        (
            "-a always,exit -S all -C gid!=obj_gid -F inode=4294967295",
            "-a always,exit -S all -C gid!=obj_gid -F inode=4294967295",
        ),
        ("-a always,io_uring -S openat -F uid=0", "-a always,io_uring -S openat -F uid=0"),
    ],
)
def test_decompile_follows_auditctl_l(text: str, listing: str) -> None:
    assert decompile(compiled(text).data) == listing


def test_unknown_fields_and_operators_print_as_numbers() -> None:
    rule = compiled("-a always,exit -S all -F uid=1").rule
    odd = RuleData(rule.flags, rule.action, (type(rule.fields[0])(999, uapi.AUDIT_EQUAL, 7),), rule.mask)
    assert decompile(odd) == "-a always,exit -S all f999=7"


def test_a_listing_carries_the_last_arch_like_auditctl() -> None:
    rules = [
        compiled("-a always,exit -F arch=b32 -S open -k x").data,
        compiled("-a always,exit -S open -k y").data,
    ]
    assert decompile_listing(rules) == [
        "-a always,exit -F arch=b32 -S open -F key=x",
        "-a always,exit -S fork -F key=y",
    ]  # i386's syscall 2, as auditctl prints
    assert decompile(rules[1]) == "-a always,exit -S open -F key=y"


def test_truncated_rule_bytes_are_a_typed_error() -> None:
    data = compiled("-w /etc/passwd").data
    for cut in (b"", data[:1039], data[:-1]):
        with pytest.raises(RuleDataError):
            decompile(cut)


# --- auditctl's own words -----------------------------------------------------------------------

# rules auditctl refuses before sending anything; where our wording differs on purpose, why
REFUSED = {
    "-a always,exit -F foo=1": None,
    "-a entry,always -S open": None,
    "-a always,exit -F arch=b64 -S stime": None,
    "-a always,exit -S open -F arch=b64": None,
    "-a always,exit -F arch=b64 -S open -F auid<=": None,
    "-a always,exit -F exe>/bin/ls": None,
    "-a always,exit -F inode<5": None,
    "-a always,exit -F msgtype=EOE": None,
    "-a always,exclude -F euid=1": None,
    "-a always,exit -C uid=gid": None,
    "-w etc": None,
    "-k foo -w /etc": None,
    "-F auid=1 -a always,exit": None,
    "-a always,exit -F uid=nosuchuser": None,
    "-a always,user -S open": None,
    "-D -x": None,
    "-a always,exit -S open extra": None,
    "-a always,exit -F exit=-EFOO": "auditctl prints the field name ('- exit'), we print the bad value",
    "-a always,exit -F filetype=foo": "auditctl prints the field name ('filetype'), we the bad value",
}


@pytest.mark.kernel
@pytest.mark.reference
def test_error_messages_match_auditctls(kernel_state: object) -> None:
    """Each refused rule: our message starts with auditctl's (which refuses it without loading anything)."""
    if shutil.which("auditctl") is None:
        pytest.skip("auditctl is not installed (apt-get install auditd)")
    for text, difference in REFUSED.items():
        result = subprocess.run(["auditctl", *text.split()], capture_output=True, text=True, check=False)
        theirs = [line for line in result.stderr.splitlines() if not line.startswith("WARNING")][-1]
        assert result.returncode != 0, text
        ours = error_of(text).message
        if difference is None:
            assert ours.startswith(theirs), (text, ours, theirs)
        else:
            assert ours.split(" - ")[0] == theirs.split(" - ")[0], (text, ours, theirs)


KERNEL_FORM_CASES = [
    "-A always,exit -F arch=b64 -S openat,unlinkat -F auid>=1000 -F auid!=unset -k prepended",
    "-a never,exit -F arch=b32 -S all -F exit=-EPERM -C uid!=euid",
    "-a always,exit -S all -F a0&0x7C020000 -F success=0 -F key=a -F key=b",
    "-a never,user -F msgtype=1100 -F subj_type=crond_t",
    "-a always,exclude -F msgtype=EOE",
    "-a never,filesystem -F fstype=tracefs -k fs",
    "-a always,task -F uid=0",
]


@pytest.mark.kernel
def test_the_kernel_lists_what_kernel_form_predicts(kernel_state: object) -> None:
    """Our bytes go to the kernel as they are; what it lists back is their kernel form."""
    from c2audit.kernel import AuditClient

    with AuditClient() as client:
        before = set(client.list_rules())
        for text in KERNEL_FORM_CASES:
            data = compiled(text).data
            client.add_rule(data)
            (listed,) = set(client.list_rules()) - before
            client.delete_rule(listed)
            assert listed + b"\0" * (-len(listed) % 4) == kernel_form(data), text
            assert decompile(listed) == decompile(data)
