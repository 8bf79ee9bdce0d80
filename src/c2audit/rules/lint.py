"""``c2audit rules check``: what is wrong with a rule file before it reaches a kernel.

Errors are what auditctl would refuse (every parse and compile error, each
with file, line, column and token).  Warnings are rules the kernel accepts but
that do not do what they say:

* ``never-fires``: the rule's own conditions contradict (``-F uid=0 -F uid=1``);
* ``shadowed``: an earlier rule of the same list matches every event it
  matches; the kernel stops at the first match, so it never fires (its key is
  never attached, its ``never`` never excludes);
* ``never-after-always``: a ``never`` placed after an ``always`` that matches
  some of the same events: the exclusion is too late for those;
* ``duplicate``: the same bytes as a rule still loaded (the kernel refuses it:
  "Rule exists");
* ``no-arch``: a syscall rule without ``arch`` on a biarch machine (the numbers
  name other syscalls on the other ABI) where auditctl has not already warned;
* ``locked-early``: ``-e 2`` that is not the last line: what follows is refused;
* ``missing-path``: a watch on a path that does not exist on this host;
* ``unknown-user``/``unknown-group``: names this host cannot resolve (auditctl
  would refuse them here; the file may be meant for another host).

The rules are replayed in kernel order: ``-A`` prepends, ``-d``/``-W``/``-D``
remove.  ``lint_text`` is pure; the host comes in as an ``Environment`` and a
``path_exists`` function (``c2audit.rules.host`` and ``os.path.lexists``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from c2audit.machines import ELF_OF_MACHINE, MACHINE_NAME, THIRTY_TWO_BIT_OF
from c2audit.rules import syscalls
from c2audit.rules.compiler import CompiledRule, Environment, compile_rule
from c2audit.rules.errors import Origin, RuleError, RuleWarning
from c2audit.rules.matching import Selector, covers, keys, overlaps, satisfiable
from c2audit.rules.syntax import (
    FILTER_NAME,
    DeleteAllRules,
    FieldPart,
    ParsedLine,
    RuleCommand,
    RuleOperation,
    SetEnabled,
    WatchPart,
    parse_rules_text,
)
from c2audit.tables import uapi

ERROR, WARNING = "error", "warning"
SYNTHETIC_ID_BASE = 0x7FFF0000  # ids for names this host lacks, distinct per name so rules stay distinct


@dataclass(frozen=True)
class Finding:
    """One problem: ``severity`` is "error" or "warning", ``code`` a stable kebab-case name."""

    severity: str
    code: str
    message: str
    origin: Origin | None

    def __str__(self) -> str:
        where = f"{self.origin.location()}: " if self.origin else ""
        token = f" (at {self.origin.token!r})" if self.origin and self.origin.token else ""
        return f"{where}{self.severity}: {self.message}{token}"


def lint_text(text: str, file: str | None = None, environment: Environment | None = None,
              path_exists: Callable[[str], bool] = lambda path: True) -> list[Finding]:
    """Every error and warning of one rule file, in line order."""
    linter = _Linter(environment or Environment(), path_exists)
    parsed = parse_rules_text(text, file)
    linter.findings += [_error(e) for e in parsed.errors]
    for line in parsed.lines:
        linter.line(line)
    linter.finish()
    return sorted(linter.findings, key=_place)


def _place(finding: Finding) -> tuple[int, int]:
    return (finding.origin.line, finding.origin.column) if finding.origin else (0, 0)


def _error(error: RuleError) -> Finding:
    return Finding(ERROR, error.code, error.message, error.origin)


def _warning(warning: RuleWarning) -> Finding:
    return Finding(WARNING, warning.code, warning.message, warning.origin)


@dataclass
class _Loaded:
    """A rule as the replay holds it in its list."""

    compiled: CompiledRule
    selector: Selector

    @property
    def line(self) -> int:
        return self.compiled.origin.line


@dataclass
class _Linter:
    environment: Environment
    path_exists: Callable[[str], bool]
    findings: list[Finding] = field(default_factory=list)
    lists: dict[tuple[int, bytes | None], list[_Loaded]] = field(default_factory=dict)
    locked_at: Origin | None = None
    after_lock: Origin | None = None
    unknown_names: dict[str, int] = field(default_factory=dict)

    # -- per line ---------------------------------------------------------------------------

    def line(self, parsed: ParsedLine) -> None:
        self.findings += [_warning(w) for w in parsed.warnings]
        for command in parsed.commands:
            if self.locked_at is not None and self.after_lock is None:
                self.after_lock = parsed.line.origin()
            if isinstance(command, RuleCommand):
                self.rule(command)
            elif isinstance(command, DeleteAllRules):
                self.delete_all(command.key)
            elif isinstance(command, SetEnabled) and command.value == 2:
                self.locked_at, self.after_lock = command.origin, None

    def finish(self) -> None:
        if self.locked_at is not None and self.after_lock is not None:
            self.findings.append(Finding(
                WARNING, "locked-early",
                f"-e 2 locks the audit configuration until reboot, but line {self.after_lock.line} and "
                "the lines after it come later: the kernel will refuse their changes; put -e 2 last",
                self.locked_at))

    def rule(self, command: RuleCommand) -> None:
        misses: list[tuple[str, str]] = []
        try:
            compiled = compile_rule(command, self._recording_environment(misses))
        except RuleError as error:
            self.findings.append(_error(error))
            return
        self.findings += [_warning(w) for w in compiled.warnings]
        self._unknown_names(command, misses)
        self._missing_paths(command)
        self._no_arch(compiled)
        loaded = _Loaded(compiled, Selector.of(compiled.rule))
        if compiled.operation is RuleOperation.DELETE:
            self._delete(loaded)
            return
        if not satisfiable(loaded.selector.conditions):
            self._warn(compiled, "never-fires", "this rule can never fire: its conditions contradict each other")
        else:
            self._against_earlier(loaded)
        rules = self.lists.setdefault(loaded.selector.kernel_list, [])
        if compiled.operation is RuleOperation.PREPEND:
            self._shadowed_by_prepend(loaded, rules)
            rules.insert(0, loaded)
        else:
            rules.append(loaded)

    # -- host ---------------------------------------------------------------------------------

    def _recording_environment(self, misses: list[tuple[str, str]]) -> Environment:
        """The environment with unknown users and groups recorded and given a made-up id."""
        host = self.environment

        def resolve(kind: str, lookup: Callable[[str], int | None]) -> Callable[[str], int | None]:
            def lookup_or_record(name: str) -> int:
                found = lookup(name)
                if found is not None:
                    return found
                misses.append((kind, name))
                return self.unknown_names.setdefault(name, SYNTHETIC_ID_BASE + len(self.unknown_names))
            return lookup_or_record

        return dataclasses.replace(host, lookup_user=resolve("user", host.lookup_user),
                                   lookup_group=resolve("group", host.lookup_group))

    def _unknown_names(self, command: RuleCommand, misses: list[tuple[str, str]]) -> None:
        for kind, name in misses:
            part = next((p for p in command.parts if isinstance(p, FieldPart) and p.pair.value == name), None)
            origin = part.origin if part else command.origin
            self.findings.append(Finding(
                WARNING, f"unknown-{kind}",
                f"Unknown {kind}: {name} on this host (auditctl here would refuse the rule)", origin))

    def _missing_paths(self, command: RuleCommand) -> None:
        for part in command.parts:
            if isinstance(part, WatchPart) and not part.remove:
                path = part.path
            elif isinstance(part, FieldPart) and part.pair.field in (uapi.AUDIT_WATCH, uapi.AUDIT_DIR):
                path = part.pair.value
            else:
                continue
            if not self.path_exists(path):
                self.findings.append(Finding(
                    WARNING, "missing-path",
                    f"{path} does not exist on this host: the watch waits for it to be created, "
                    "and the kernel refuses it if its parent directory is missing", part.origin))

    def _no_arch(self, compiled: CompiledRule) -> None:
        rule = compiled.rule
        if rule.flags & ~uapi.AUDIT_FILTER_PREPEND != uapi.AUDIT_FILTER_EXIT:
            return
        if rule.all_syscalls:
            return  # all syscalls mean the same on either ABI
        if any(f.field == uapi.AUDIT_ARCH for f in rule.fields):
            return
        if any(w.code == "biarch-mismatch" for w in compiled.warnings):
            return  # auditctl's own warning already says it
        machine = syscalls.machine_of(self.environment.machine)
        companion = THIRTY_TWO_BIT_OF.get(machine)
        if companion is not None and companion in ELF_OF_MACHINE:
            self._warn(compiled, "no-arch",
                       f"syscall rule without -F arch on a biarch {self.environment.machine} machine: its "
                       f"syscall numbers also match {MACHINE_NAME[companion]} calls, where they are "
                       "other syscalls; write one rule per arch (-F arch=b64 and -F arch=b32)")

    # -- the replay ---------------------------------------------------------------------------

    def _against_earlier(self, new: _Loaded) -> None:
        rules = self.lists.get(new.selector.kernel_list, [])
        for earlier in rules:
            if earlier.compiled.data == new.compiled.data:
                self._warn(new.compiled, "duplicate",
                           f"the same rule as line {earlier.line}: the kernel refuses it (Rule exists)")
                return
            if covers(earlier.selector, new.selector):
                self._warn(new.compiled, "shadowed",
                           f"this rule can never fire: line {earlier.line} comes first in the "
                           f"{_list_name(new)} list and matches every event it matches "
                           "(the kernel stops at the first match)")
                return
        if new.compiled.rule.action != uapi.AUDIT_NEVER:
            return
        for earlier in rules:
            if (earlier.compiled.rule.action == uapi.AUDIT_ALWAYS and not _narrower_path(earlier, new)
                    and overlaps(earlier.selector, new.selector)):
                self._warn(new.compiled, "never-after-always",
                           f"this never rule comes after the always rule of line {earlier.line}, which "
                           "matches some of the same events first: those are audited anyway; "
                           f"put the never rule before line {earlier.line}")
                return

    def _shadowed_by_prepend(self, new: _Loaded, rules: list[_Loaded]) -> None:
        """``-A`` goes to the head of the list: the rules it covers there stop firing."""
        for later in rules:
            if covers(new.selector, later.selector):
                self._warn(later.compiled, "shadowed",
                           f"this rule can never fire: line {new.line} (-A) is put before it in the "
                           f"{_list_name(new)} list and matches every event it matches "
                           "(the kernel stops at the first match)")

    def _delete(self, target: _Loaded) -> None:
        """AUDIT_DEL_RULE: the kernel removes the rule equal to the one sent, prepend flag included."""
        rules = self.lists.get(target.selector.kernel_list, [])
        for index, loaded in enumerate(rules):
            if loaded.compiled.data == target.compiled.data:
                del rules[index]
                return

    def delete_all(self, key: str | None) -> None:
        """``-D`` empties every list; ``-D -k key`` removes the rules carrying that key."""
        if key is None:
            self.lists.clear()
            return
        wanted = key.encode("utf-8", "surrogateescape")
        for rules in self.lists.values():
            rules[:] = [r for r in rules if wanted not in keys(r.compiled.rule)]

    def _warn(self, compiled: CompiledRule, code: str, message: str) -> None:
        self.findings.append(Finding(WARNING, code, message, compiled.origin))


def _narrower_path(always: _Loaded, never: _Loaded) -> bool:
    """An always rule scoped to a directory the never rule does not name: not what it meant to exclude.

    (It does overlap -- crond writing under a watched directory -- but a
    general exclusion placed after the file's directory watches is the normal
    layout, and warning about each would bury the real cases.)
    """
    return always.selector.tests(uapi.AUDIT_DIR) and not never.selector.tests(uapi.AUDIT_DIR)


def _list_name(loaded: _Loaded) -> str:
    filter_list, path = loaded.selector.kernel_list
    if path is not None:
        return f"{path.decode('utf-8', 'surrogateescape')} watch"
    return FILTER_NAME.get(filter_list, str(filter_list))
