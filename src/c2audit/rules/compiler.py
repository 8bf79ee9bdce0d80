"""Rule commands to the ``audit_rule_data`` bytes auditctl sends.

``compile_rule`` walks a RuleCommand's parts in the order written, keeping the
state auditctl keeps while it reads a line (the list, the arch, whether a
syscall, permission, exe or fstype was given), so that order-dependent rules
come out the same: ``arch`` after ``-S`` is refused, ``-S`` without an arch
takes the machine's, a key needs a syscall or a watch before it, keys are
joined with ``\\x01`` and added as the last field, and a rule on any list but
``task`` without ``-S`` matches all syscalls.

The compiler does no I/O: what auditctl asks the host (the machine, user and
group names, whether a watched path is a directory, the kernel's feature bits)
comes in an ``Environment``; ``c2audit.rules.host`` builds the real one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from c2audit import machines
from c2audit.rules import fields as F
from c2audit.rules import syscalls
from c2audit.rules.errors import FieldError, Origin, RuleError, RuleWarning, SyscallError
from c2audit.rules.ruledata import MASK_WORDS, MAX_FIELDS, RuleData, RuleField
from c2audit.rules.syntax import (
    ComparePart,
    FieldPart,
    KeyPart,
    ListPart,
    ParsedFile,
    PermPart,
    RuleCommand,
    RuleOperation,
    RulePart,
    SyscallPart,
    WatchPart,
    parse_rules_text,
)
from c2audit.tables import uapi

ALL_SYSCALLS = (0xFFFFFFFF,) * MASK_WORDS
NAME_MAX = 255
NO_LIST = -1  # what the field checks see before -a/-d/-w (auditctl's AUDIT_FILTER_UNSET)


def _unknown_name(_: str) -> int | None:
    return None


@dataclass(frozen=True)
class Environment:
    """What auditctl learns from the host while it builds a rule."""

    machine: str = "x86_64"  # os.uname().machine: the arch of b64/b32 and of rules without one
    lookup_user: Callable[[str], int | None] = _unknown_name  # getpwnam
    lookup_group: Callable[[str], int | None] = _unknown_name  # getgrnam
    is_dir: Callable[[str], bool] = lambda path: False  # stat(): a watch on a directory is AUDIT_DIR
    features: int = uapi.AUDIT_FEATURE_BITMAP_ALL  # the kernel's audit_status.feature_bitmap


@dataclass(frozen=True)
class CompiledRule:
    """One kernel rule: the command it came from, its operation, decoded form and bytes."""

    command: RuleCommand
    operation: RuleOperation
    rule: RuleData
    warnings: tuple[RuleWarning, ...] = ()

    @property
    def data(self) -> bytes:
        """What auditctl sends with AUDIT_ADD_RULE or AUDIT_DEL_RULE."""
        return self.rule.encode()

    @property
    def origin(self) -> Origin:
        return self.command.origin


@dataclass(frozen=True)
class CompiledFile:
    """A rule file compiled: its parsed lines, kernel rules in order, errors and warnings."""

    parsed: ParsedFile
    rules: tuple[CompiledRule, ...]
    errors: tuple[RuleError, ...]
    warnings: tuple[RuleWarning, ...]


def compile_rules_text(
    text: str, file: str | None = None, environment: Environment | None = None, *, shell_quotes: bool = True
) -> CompiledFile:
    """Parse and compile a rule file, going on past bad lines (errors are sorted by line).

    ``shell_quotes=False`` reads quotes as auditctl does (as plain characters).
    """
    environment = environment or Environment()
    parsed = parse_rules_text(text, file, shell_quotes=shell_quotes)
    rules: list[CompiledRule] = []
    errors = list(parsed.errors)
    warnings: list[RuleWarning] = []
    for line in parsed.lines:
        warnings.extend(line.warnings)
        if line.rule is None:
            continue
        try:
            compiled = compile_rule(line.rule, environment)
        except RuleError as error:
            errors.append(error)
            continue
        rules.append(compiled)
        warnings.extend(compiled.warnings)
    errors.sort(key=lambda e: (e.origin.line, e.origin.column) if e.origin else (0, 0))
    return CompiledFile(parsed, tuple(rules), tuple(errors), tuple(warnings))


def compile_rule(command: RuleCommand, environment: Environment | None = None) -> CompiledRule:
    """The kernel rule a RuleCommand stands for, or a RuleError placed at the offending part."""
    builder = _RuleBuilder(environment or Environment())
    for part in command.parts:
        try:
            builder.add(part)
        except RuleError as error:
            raise (error if error.origin else error.at(part.origin)) from None
    try:
        return builder.finish(command)
    except RuleError as error:
        raise (error if error.origin else error.at(command.origin)) from None


@dataclass
class _RuleBuilder:
    """auditctl's per-line state (its ``_audit_*added`` globals and ``rule_new``)."""

    environment: Environment
    operation: RuleOperation | None = None
    filter_list: int = NO_LIST
    action: int = uapi.AUDIT_ALWAYS
    elf: int = 0
    syscall_added: bool = False
    perm_added: bool = False
    exe_added: bool = False
    fs_added: bool = False
    fields: list[RuleField] = field(default_factory=list)
    buf: bytearray = field(default_factory=bytearray)
    mask: list[int] = field(default_factory=lambda: [0] * MASK_WORDS)
    key: bytes = b""  # the keys so far, joined with \x01 (an empty -k adds nothing but a separator)
    warnings: list[RuleWarning] = field(default_factory=list)

    def add(self, part: RulePart) -> None:
        match part:
            case ListPart():
                self._list(part)
            case WatchPart():
                self._watch(part)
            case SyscallPart():
                self._syscalls(part)
            case FieldPart():
                self._field(part)
            case ComparePart():
                self._compare(part)
            case PermPart():
                self._perm(part)
            case KeyPart():
                self._key(part)

    def _context(self) -> F.FieldContext:
        env = self.environment
        return F.FieldContext(self.filter_list, env.lookup_user, env.lookup_group, env.features)

    def _warn(self, code: str, message: str, origin: Origin) -> None:
        self.warnings.append(RuleWarning(code, message, origin))

    def _append_field(self, name: str, number: int, operator: int, value: int, data: bytes = b"") -> None:
        if len(self.fields) >= MAX_FIELDS - 1:
            raise FieldError("too-many-fields", f"Too many fields in rule: {name}")
        self.fields.append(RuleField(number, operator, value))
        self.buf += data

    # -a -A -d -w -W ---------------------------------------------------------------------

    def _list(self, part: ListPart) -> None:
        if self.operation is not None:
            raise RuleError("multiple-rules", "Multiple rule insert/delete operations are not allowed")
        if (part.operation is not RuleOperation.DELETE and part.filter_list == uapi.AUDIT_FILTER_TASK
                and self.syscall_added):
            raise SyscallError("syscall-on-task", "Syscall auditing requested for task list")
        self.operation, self.filter_list, self.action = part.operation, part.filter_list, part.action

    def _watch(self, part: WatchPart) -> None:
        if self.operation is not None:
            raise RuleError("watch-with-syscall", "watch option can't be given with a syscall")
        path = self._checked_watch_path(part)
        if self.fields:
            raise FieldError("watch-not-empty", "Rule is not empty")
        self.operation = RuleOperation.DELETE if part.remove else RuleOperation.APPEND
        self.filter_list, self.action = uapi.AUDIT_FILTER_EXIT, uapi.AUDIT_ALWAYS
        self.syscall_added = self.perm_added = True
        self.mask = list(ALL_SYSCALLS)
        kind = uapi.AUDIT_DIR if self.environment.is_dir(path) else uapi.AUDIT_WATCH
        encoded = F.encode_string("watch", path, F.PATH_MAX)
        all_perms = uapi.AUDIT_PERM_READ | uapi.AUDIT_PERM_WRITE | uapi.AUDIT_PERM_EXEC | uapi.AUDIT_PERM_ATTR
        self._append_field("watch", kind, uapi.AUDIT_EQUAL, encoded.value, encoded.data)
        self._append_field("perm", uapi.AUDIT_PERM, uapi.AUDIT_EQUAL, all_perms)

    def _checked_watch_path(self, part: WatchPart) -> str:
        """auditctl's check_path, then trailing slashes trimmed as it does."""
        path = part.path
        if len(path.encode("utf-8", "surrogateescape")) >= F.PATH_MAX:
            raise FieldError("path-too-long", "The path passed for the watch is too big")
        if not path.startswith("/"):
            raise FieldError("path-not-absolute", "The path must start with '/'")
        if len(path.rstrip("/").rpartition("/")[2].encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise FieldError("name-too-long", "The base name of the path is too big")
        if ".." in path:
            self._warn("relative-path", "Warning - relative path notation is not supported", part.origin)
        if "*" in path or "?" in path:
            self._warn("wildcard", "Warning - wildcard notation is not supported", part.origin)
        if len(path) > 2:
            while len(path) > 1 and path.endswith("/"):
                path = path[:-1]
        return path

    # -S -----------------------------------------------------------------------------------

    def _syscalls(self, part: SyscallPart) -> None:
        if self.filter_list == uapi.AUDIT_FILTER_URING_EXIT:
            self._uring_ops(part)
            return
        refusal = _SYSCALL_REFUSED.get(self.filter_list)
        if refusal:
            raise SyscallError("syscall-on-list", refusal)
        arch_unknown = self.elf == 0
        if arch_unknown:
            self.elf = machines.ELF_OF_MACHINE[syscalls.machine_of(self.environment.machine)]
        for name in part.names or ("",):
            number = self._syscall_number(name)
            if number is None:
                self.mask = list(ALL_SYSCALLS)
            else:
                self.mask[number // 32] |= 1 << (number % 32)
        self.syscall_added = True
        if arch_unknown and self.operation is not None and self.operation is not RuleOperation.DELETE:
            self._warn_biarch_mismatch(part)

    def _syscall_number(self, name: str) -> int | None:
        """The syscall's number (None for ``all``); SyscallError naming the arch if it has none."""
        if name == "all":
            return None
        number = syscalls.syscall_number(name, self.elf)
        if number is None or not 0 <= number < syscalls.MAX_SYSCALL:
            arch = syscalls.arch_name(self.elf)
            raise SyscallError("syscall-unknown", f"Syscall name unknown: {name} (no such syscall on {arch})")
        return number

    def _warn_biarch_mismatch(self, part: SyscallPart) -> None:
        """auditctl's check_rule_mismatch: the same names on the 32-bit ABI hit other syscalls."""
        machine = machines.MACHINE_OF_ELF[self.elf]
        other = machines.ELF_OF_MACHINE[machines.THIRTY_TWO_BIT_OF.get(machine, machine)]
        other_mask = [0] * MASK_WORDS
        for name in part.names:
            number = None if name == "all" else syscalls.syscall_number(name, other)
            if name == "all":
                other_mask = list(ALL_SYSCALLS)
            elif number is not None and 0 <= number < syscalls.MAX_SYSCALL:
                other_mask[number // 32] |= 1 << (number % 32)
        # auditctl compares the first 64 bytes only (syscalls 0-511); we do the same
        if other_mask[:16] != self.mask[:16]:
            self._warn("biarch-mismatch", f"WARNING - 32/64 bit syscall mismatch in line {part.origin.line}, "
                       "you should specify an arch", part.origin)

    def _uring_ops(self, part: SyscallPart) -> None:
        for name in part.names or ("",):
            if name == "all":
                self.mask = list(ALL_SYSCALLS)
                continue
            number = syscalls.uring_op_number(name)
            if number is None or not 0 <= number < syscalls.MAX_SYSCALL:
                raise SyscallError("uring-op-unknown", f"io_uring op unknown: {name}")
            self.mask[number // 32] |= 1 << (number % 32)
        self.syscall_added = True

    # -F -C -p -k ----------------------------------------------------------------------------

    def _field(self, part: FieldPart) -> None:
        pair = part.pair
        if self.operation is None:
            raise FieldError("list-missing", "List must be given before field")
        if pair.field == uapi.AUDIT_ARCH:
            self._arch(pair)
            return
        context = self._context()
        if pair.field == uapi.AUDIT_FILTERKEY:  # spelled other than "key=", so not gathered with -k
            F.check_list(pair, context)
            self._require_key_anchor("Key field needs a watch, syscall or exe path given prior to it")
            encoded = F.encode_string(pair.name, pair.value, F.KEY_MAX)
        else:
            encoded = F.encode_field(pair, context)
        if encoded.ignored_tail:
            self._warn("number-tail", f"{pair.name}: {encoded.ignored_tail!r} after the number is ignored",
                       part.origin)
        self._append_field(pair.name, pair.field, pair.operator, encoded.value, encoded.data)
        self.perm_added |= pair.field in (uapi.AUDIT_WATCH, uapi.AUDIT_DIR, uapi.AUDIT_PERM)
        self.exe_added |= pair.field == uapi.AUDIT_EXE
        self.fs_added |= pair.field == uapi.AUDIT_FSTYPE

    def _arch(self, pair: F.FieldPair) -> None:
        if self.syscall_added:
            raise FieldError("arch-after-syscall", f"{pair.name} must be before -S")
        if pair.operator not in F.EQUALITY:
            raise FieldError("operator-not-equality", f"{pair.name} only takes = or != operators")
        self.elf = syscalls.resolve_arch(pair.value, syscalls.machine_of(self.environment.machine))
        self._append_field(pair.name, uapi.AUDIT_ARCH, pair.operator, self.elf)

    def _compare(self, part: ComparePart) -> None:
        value = F.comparison_value(part.comparison, self.filter_list)
        self._append_field(part.comparison.left, uapi.AUDIT_FIELD_COMPARE, part.comparison.operator, value)

    def _perm(self, part: PermPart) -> None:
        if self.operation is None:
            raise FieldError("perm-needs-watch", "permission option needs a watch given prior to it")
        if len(part.letters) > 4:
            raise FieldError("perm-too-long", f"permission {part.letters} is too long")
        bad = next((c for c in part.letters if c.lower() not in F.PERM_LETTERS), None)
        if bad is not None:
            raise FieldError("perm-letter", f"Permission {bad} isn't supported")
        bits = F.encode_perm("perm", part.letters)
        if not self.fields:
            raise FieldError("perm-first", "Permissions should be preceeded by other fields")
        if any(f.field == uapi.AUDIT_PERM for f in self.fields):
            self.fields = [RuleField(f.field, f.operator, bits) if f.field == uapi.AUDIT_PERM else f
                           for f in self.fields]
        else:
            self._append_field("perm", uapi.AUDIT_PERM, uapi.AUDIT_EQUAL, bits)
        self.perm_added = True

    def _require_key_anchor(self, message: str) -> None:
        if not (self.syscall_added or self.perm_added or self.exe_added or self.fs_added):
            raise FieldError("key-needs-anchor", message)

    def _key(self, part: KeyPart) -> None:
        if part.written_as_field and self.operation is None:
            raise FieldError("list-missing", "List must be given before field")
        if not part.written_as_field:  # -k checks at once; -F key= only when the key is added
            if self.operation is None:
                raise FieldError("key-needs-anchor", "key option needs a watch or syscall given prior to it")
            self._require_key_anchor("key option needs a watch or syscall given prior to it")
        new = part.key.encode("utf-8", "surrogateescape")
        if len(new) + len(self.key) + (1 if self.key else 0) > F.KEY_MAX:
            raise FieldError("key-too-long", f"key option exceeds size limit ({F.KEY_MAX} bytes)")
        if "\x01" in part.key:
            self._warn("key-separator", f"key {part.key} has illegal character", part.origin)
        self.key += (b"\x01" if self.key else b"") + new

    # end of line --------------------------------------------------------------------------

    def finish(self, command: RuleCommand) -> CompiledRule:
        if self.operation is None:
            raise RuleError("list-missing", "Error - no list specified")
        if self.key:
            self._require_key_anchor("Key field needs a watch, syscall or exe path given prior to it")
            key = F.Encoded(len(self.key), self.key)
            F.check_list(F.FieldPair("key", uapi.AUDIT_FILTERKEY, uapi.AUDIT_EQUAL, ""), self._context())
            self._append_field("key", uapi.AUDIT_FILTERKEY, uapi.AUDIT_EQUAL, key.value, key.data)
        if self.filter_list != uapi.AUDIT_FILTER_TASK and not self.syscall_added:
            self.mask = list(ALL_SYSCALLS)
        prepend = self.operation is RuleOperation.PREPEND
        flags = self.filter_list | (uapi.AUDIT_FILTER_PREPEND if prepend else 0)
        rule = RuleData(flags, self.action, tuple(self.fields), tuple(self.mask), bytes(self.buf))
        return CompiledRule(command, self.operation, rule, tuple(self.warnings))


_SYSCALL_REFUSED = {
    uapi.AUDIT_FILTER_TASK: "Error: syscall auditing being added to task list",
    uapi.AUDIT_FILTER_USER: "Error: syscall auditing being added to user list",
    uapi.AUDIT_FILTER_FS: "Error: syscall auditing being added to filesystem list",
    uapi.AUDIT_FILTER_EXCLUDE: "Error: syscall auditing cannot be put on exclude list",
}
