"""Run auditctl's commands against the kernel: the engine of ``c2audit ctl``.

``c2audit.rules.syntax.parse_argv`` turns a command line (and a rule file's
line) into typed commands in auditctl's order; a ``Session`` executes them one
by one with a kernel client and prints what auditctl prints, byte for byte:

* ``-e -f -r -b --backlog_wait_time`` send one AUDIT_SET each and, when such a
  setter is the line's last command, the status block follows (auditctl asks
  for the status after each setter and prints the reply at the end);
* ``-s`` prints the status block and ``loginuid_immutable`` (``-s -i`` in words);
  while a c2audit daemon runs, its loss counters follow as ``c2audit_*`` lines
  read from its state report (auditctl's lines come first and unchanged);
* ``--reset-lost`` / ``--reset_backlog_wait_time_actual`` print the old counter
  on stderr; ``--loginuid-immutable`` prints nothing;
* ``--signal`` signals the registered audit daemon, or the c2audit daemon of
  the pid file when none is registered (read-only multicast mode).

A refusal stops the line with auditctl's message and exit status 255.
``EXECUTORS`` maps each command type to its function: rule commands (``-a -d
-D -l -w -R`` ...) plug in there.
"""
from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from c2audit import __version__
from c2audit.daemon.config import ConfigError, DaemonConfig
from c2audit.daemon.state import parse_state
from c2audit.kernel import AuditClient
from c2audit.netlink import AuditFeatures, AuditStatus, feature_mask
from c2audit.rules.syntax import (
    ContinueOnErrors,
    IgnoreErrors,
    ParsedLine,
    ReportStatus,
    ResetBacklogWaitTimeActual,
    ResetLost,
    SetBacklogLimit,
    SetBacklogWaitTime,
    SetEnabled,
    SetFailure,
    SetLoginuidImmutable,
    SetRateLimit,
    ShowHelp,
    ShowVersion,
    SignalDaemon,
)
from c2audit.tables import uapi

EXIT_FAILURE = 255  # auditctl's main returns -1
ENABLED_WORDS = {0: "disable", 1: "enabled", 2: "enabled+immutable"}
FAILURE_WORDS = {0: "silent", 1: "printk", 2: "panic"}
# setter -> (audit_status field, the request's name in libaudit's error message)
STATUS_SETTERS: dict[type, tuple[str, str]] = {
    SetEnabled: ("enabled", "enable"),
    SetFailure: ("failure", "failure mode"),
    SetRateLimit: ("rate_limit", "rate limit"),
    SetBacklogLimit: ("backlog_limit", "backlog limit"),
    SetBacklogWaitTime: ("backlog_wait_time", "backlog limit"),  # libaudit's wording for both
}
# daemon state report keys shown by -s: every loss the daemon counts
LOSS_KEYS = ("lost", "dropped", "enobufs")

USAGE = """\
usage: c2audit ctl [options]
    -a <l,a>                          Append rule to end of <l>ist with <a>ction
    -A <l,a>                          Add rule at beginning of <l>ist with <a>ction
    -b <backlog>                      Set max number of outstanding audit buffers
                                      allowed Default=64
    -c                                Continue through errors in rules
    -C f=f                            Compare collected fields if available:
                                      Field name, operator(=,!=), field name
    -d <l,a>                          Delete rule from <l>ist with <a>ction
                                      l=task,exit,user,exclude,filesystem
                                      a=never,always
    -D                                Delete all rules and watches
    -e [0..2]                         Set enabled flag
    -f [0..2]                         Set failure flag
                                      0=silent 1=printk 2=panic
    -F f=v                            Build rule: field name, operator(=,!=,<,>,<=,
                                      >=,&,&=) value
    -h                                Help
    -i                                Ignore errors when reading rules from file
    -k <key>                          Set filter key on audit rule
    -l                                List rules
    -m text                           Send a user-space message
    -p [r|w|x|a]                      Set permissions filter on watch
                                      r=read, w=write, x=execute, a=attribute
    -q <mount,subtree>                make subtree part of mount point's dir watches
    -r <rate>                         Set limit in messages/sec (0=none)
    -R <file>                         read rules from file
    -s                                Report status
    -S syscall                        Build rule: syscall name or number
    --signal <signal>                 Send the specified signal to the daemon
    -t                                Trim directory watches
    -v                                Version
    -w <path>                         Insert watch at <path>
    -W <path>                         Remove watch at <path>
    --loginuid-immutable              Make loginuids unchangeable once set
    --backlog_wait_time               Set the kernel backlog_wait_time
    --reset-lost                      Reset the lost record counter
    --reset_backlog_wait_time_actual  Reset the actual backlog wait time counter
"""


class CtlFailure(Exception):
    """A command failed: auditctl's message for it; the line stops with exit status 255."""


AUDIT_DISABLED = "The audit system is disabled"


def refused_text(what: str, error: OSError, reason: str | None = None) -> str:
    """auditctl's words for a request the kernel refused: ``what (reason)``.

    ECONNREFUSED is the kernel refusing audit to this caller altogether (a
    process outside the initial user namespace): auditctl says so in its own
    words, and so do we (where auditctl 3.0.9 says nothing, for -s and -b, or
    exits 0, for -a, c2audit still prints it and exits 255).
    """
    if error.errno == errno.ECONNREFUSED:
        return AUDIT_DISABLED
    return f"{what} ({reason or error.strerror or error})"


def request_failed(what: str, error: OSError, reason: str | None = None) -> CtlFailure:
    return CtlFailure(refused_text(what, error, reason))


# -- what -s prints (pure) ---------------------------------------------------------------------

def status_lines(status: AuditStatus, *, interpret: bool = False) -> list[str]:
    """auditctl 3.0.9's status block, in its order."""
    if interpret:
        head = [f"enabled {ENABLED_WORDS.get(status.enabled, 'unknown')}",
                f"failure {FAILURE_WORDS.get(status.failure, 'unknown')}"]
    else:
        head = [f"enabled {status.enabled}", f"failure {status.failure}"]
    return head + [
        f"pid {status.pid}", f"rate_limit {status.rate_limit}", f"backlog_limit {status.backlog_limit}",
        f"lost {status.lost}", f"backlog {status.backlog}",
        f"backlog_wait_time {status.backlog_wait_time or 0}",
        f"backlog_wait_time_actual {status.backlog_wait_time_actual or 0}",
    ]


def loginuid_line(features: AuditFeatures) -> str | None:
    bit = feature_mask(uapi.AUDIT_FEATURE_LOGINUID_IMMUTABLE)
    if not features.mask & bit:
        return None
    return f"loginuid_immutable {int(bool(features.features & bit))} {'locked' if features.lock & bit else 'unlocked'}"


def loss_lines(state: dict[str, str]) -> list[str]:
    """The loss counters of a daemon state report, as ``c2audit_<key> <value>`` lines."""
    lines = [f"c2audit_report_time {state['time']}"] if "time" in state else []
    return lines + [f"c2audit_{key} {value}" for key, value in state.items() if any(k in key for k in LOSS_KEYS)]


# -- finding the daemon ------------------------------------------------------------------------

def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="surrogateescape").split("\0")[:-1]
    except OSError:
        return []


def _names_c2audit(words: list[str]) -> bool:
    return any("c2audit" in word for word in words)


def _is_c2audit(pid: int) -> bool:
    return _names_c2audit(_command_line(pid))


def _daemon_arguments(pid: int) -> list[str] | None:
    """The arguments after ``daemon`` of a running ``c2audit daemon`` (None: not one)."""
    words = _command_line(pid)
    at = words.index("daemon") if "daemon" in words else -1
    return words[at + 1:] if at > 0 and _names_c2audit(words[:at]) else None


def running_daemons(proc: Path = Path("/proc")) -> list[int]:
    """Every live ``c2audit daemon`` process, found by its command line."""
    return [int(entry.name) for entry in proc.iterdir()
            if entry.name.isdigit() and _daemon_arguments(int(entry.name)) is not None]


def files_of(pid: int) -> DaemonFiles | None:
    """The pid and state files the ``c2audit daemon`` ``pid`` uses: its command line, then its configuration."""
    # the daemon's own command-line and configuration readers: loaded only when another daemon is looked for
    from c2audit.cli.daemon import parser as daemon_parser
    from c2audit.daemon.service import Overrides, read_config

    arguments = _daemon_arguments(pid)
    if arguments is None:
        return None
    args, _ = daemon_parser().parse_known_args(arguments)  # as the daemon read them
    config_path = args.config
    if config_path is not None and not os.path.isabs(config_path):
        try:
            config_path = os.path.join(os.readlink(f"/proc/{pid}/cwd"), config_path)
        except OSError:
            return None
    try:
        config = read_config(config_path, Overrides(None, args.pid_file, args.state_file))
    except ConfigError:
        return None
    return DaemonFiles(config.pid_file, config.state_file)


@dataclass
class DaemonFiles:
    """Where a c2audit daemon leaves its pid and its state report (its configuration's defaults).

    With ``search_processes``, a daemon started with other files is found too:
    by its command line among the running processes.
    """

    pid_file: str = field(default_factory=lambda: DaemonConfig().pid_file)
    state_file: str = field(default_factory=lambda: DaemonConfig().state_file)
    search_processes: bool = False

    def running_pid(self) -> int | None:
        """The pid file's process if it lives and is c2audit's (not a recycled pid); else the one daemon running."""
        try:
            pid = int(Path(self.pid_file).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        if pid is not None and _is_c2audit(pid):
            return pid
        found = running_daemons() if self.search_processes else []
        return found[0] if len(found) == 1 else None

    def state_of(self, pid: int) -> dict[str, str] | None:
        """The state report, if it is the report of the live c2audit daemon ``pid``."""
        places = [self.state_file]
        if self.search_processes and (theirs := files_of(pid)) is not None:
            places.append(theirs.state_file)
        for place in places:
            try:
                state = parse_state(Path(place).read_text())
            except OSError:
                continue
            if state.get("pid") == str(pid) and _is_c2audit(pid):
                return state
        return None


# -- running commands --------------------------------------------------------------------------

@dataclass
class Session:
    """Executes one line's commands in order; the kernel is opened on first use."""

    out: TextIO
    err: TextIO
    connect: Callable[[], AuditClient] = AuditClient
    daemon: DaemonFiles = field(default_factory=lambda: DaemonFiles(search_processes=True))
    _client: AuditClient | None = None

    @property
    def client(self) -> AuditClient:
        if self._client is None:
            self._client = self.connect()
        return self._client

    def run(self, parsed: ParsedLine) -> int:
        """Run every command; the exit status auditctl would return."""
        try:
            for command in parsed.commands:
                executor = EXECUTORS.get(type(command))
                if executor is None:
                    raise CtlFailure(f"{type(command).__name__} is not supported by c2audit ctl yet")
                executor(self, command)
            if parsed.commands and type(parsed.commands[-1]) in STATUS_SETTERS:
                self.print_lines(status_lines(self.status()))
        except CtlFailure as failure:
            if str(failure):
                self.err.write(f"{failure}\n")
            return EXIT_FAILURE
        return 0

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def print_lines(self, lines: list[str]) -> None:
        self.out.write("".join(f"{line}\n" for line in lines))

    def status(self) -> AuditStatus:
        try:
            return self.client.get_status()
        except OSError as error:
            raise request_failed("Error sending status request", error) from None


def _set(session: Session, command: Any) -> None:
    name, noun = STATUS_SETTERS[type(command)]
    try:
        session.client.set_status(**{name: command.value})
    except OSError as error:
        raise request_failed(f"Error sending {noun} request", error) from None


def _report_status(session: Session, command: ReportStatus) -> None:
    status = session.status()
    lines = status_lines(status, interpret=command.interpret)
    try:
        features = session.client.get_features()
    except OSError:
        features = None  # a kernel without the features API: auditctl prints the rest
    line = loginuid_line(features) if features else None
    lines += [line] if line else []
    pid = status.pid or session.daemon.running_pid()
    state = session.daemon.state_of(pid) if pid else None
    session.print_lines(lines + (loss_lines(state) if state else []))


def _reset(field_name: str, noun: str) -> Callable[[Session, Any], None]:
    def reset(session: Session, command: Any) -> None:
        try:
            old = session.client.set_status(**{field_name: 0})
        except OSError as error:
            raise request_failed(f"Error sending reset {noun} request", error) from None
        session.err.write(f"{field_name}: {old}\n")
    return reset


def _loginuid_immutable(session: Session, command: SetLoginuidImmutable) -> None:
    try:
        session.client.set_loginuid_immutable()
    except OSError as error:
        raise request_failed("Error setting feature", error) from None


def _signal_daemon(session: Session, command: SignalDaemon) -> None:
    pid = session.status().pid or session.daemon.running_pid()
    if not pid:
        session.err.write("Auditd is not running\n")
        return
    try:
        os.kill(pid, getattr(signal, f"SIG{command.signal}"))
    except OSError as error:
        raise CtlFailure(f"Failed sending signal to auditd ({error.strerror})") from None


def _help(session: Session, command: ShowHelp) -> None:
    session.out.write(USAGE)
    raise CtlFailure("")  # auditctl -h exits with 255


def _nothing(session: Session, command: Any) -> None:
    """-i and -c only matter while reading a rule file."""


EXECUTORS: dict[type, Callable[[Session, Any], None]] = {
    **{setter: _set for setter in STATUS_SETTERS},
    ReportStatus: _report_status,
    ResetLost: _reset("lost", "lost"),
    ResetBacklogWaitTimeActual: _reset("backlog_wait_time_actual", "backlog_wait_time_actual"),
    SetLoginuidImmutable: _loginuid_immutable,
    SignalDaemon: _signal_daemon,
    ShowVersion: lambda session, command: session.out.write(f"c2audit ctl version {__version__}\n"),
    ShowHelp: _help,
    IgnoreErrors: _nothing,
    ContinueOnErrors: _nothing,
}

