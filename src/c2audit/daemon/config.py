"""The daemon's configuration: ``auditd.conf`` syntax and semantics, no I/O.

A file is lines of ``keyword = value [option]``; ``#`` starts a comment line;
keywords and enumerated values are case-insensitive (auditd.conf(5)).  Only the
``*_action`` keywords take the option (the script of ``exec``).  A keyword may
repeat; the last one wins, as in auditd.

Three kinds of keywords:

* auditd's keywords that c2audit implements (``log_file``, ``flush``, the space
  and size actions, ...), with auditd's defaults when absent (``clear_config()``
  in auditd-config.c) except ``log_file``, which defaults to c2audit's own path;
* auditd's keywords that have no meaning here (network listener, plugins,
  e-mail settings): accepted so Debian's own ``auditd.conf`` loads unchanged,
  and listed in :attr:`DaemonConfig.ignored` so the daemon can say so;
* c2audit's own keywords (the kernel settings it applies at start, the socket
  receive buffer, its pid and state files), documented in README.md.

Every bad value raises :class:`ConfigError` naming the file, the line and the
keyword.  Two deviations from auditd, both toward accepting less silently or
losing nothing: lines longer than 160 characters are read, not skipped; and
``max_log_file = 0`` means "no limit" (auditd would act on every write).
"""
from __future__ import annotations

import dataclasses
import enum
import grp
import re
from collections.abc import Callable
from dataclasses import dataclass, field

MIB = 1024 * 1024


class ConfigError(ValueError):
    """A configuration line c2audit cannot accept, with where it is."""

    def __init__(self, path: str, line: int | None, keyword: str | None, message: str, text: str = ""):
        self.path, self.line, self.keyword, self.message, self.text = path, line, keyword, message, text
        where = f"{path}:{line}" if line is not None else path
        subject = f" {keyword}:" if keyword else ""
        super().__init__(f"{where}:{subject} {message}")


class LogFormat(enum.StrEnum):
    RAW = "raw"
    ENRICHED = "enriched"


class FlushMode(enum.StrEnum):
    NONE = "none"
    INCREMENTAL = "incremental"
    INCREMENTAL_ASYNC = "incremental_async"
    DATA = "data"
    SYNC = "sync"


class SizeAction(enum.StrEnum):
    """``max_log_file_action``."""

    IGNORE = "ignore"
    SYSLOG = "syslog"
    SUSPEND = "suspend"
    ROTATE = "rotate"
    KEEP_LOGS = "keep_logs"


class FailureAction(enum.StrEnum):
    """``space_left_action``, ``admin_space_left_action``, ``disk_full_action``, ``disk_error_action``.

    ``email`` is accepted and behaves as ``syslog`` (c2audit sends no mail);
    ``single`` and ``halt`` never change the run level: see ``daemon.disk``.
    """

    IGNORE = "ignore"
    SYSLOG = "syslog"
    ROTATE = "rotate"
    EMAIL = "email"
    EXEC = "exec"
    SUSPEND = "suspend"
    SINGLE = "single"
    HALT = "halt"


class NameFormat(enum.StrEnum):
    NONE = "none"
    HOSTNAME = "hostname"
    FQD = "fqd"
    NUMERIC = "numeric"
    USER = "user"


class StartupEnable(enum.StrEnum):
    """``enable_at_start``: auditd's ``-s enable|disable|nochange``."""

    ENABLE = "enable"
    DISABLE = "disable"
    NOCHANGE = "nochange"


class ExitEnable(enum.StrEnum):
    """``enabled_at_exit``: what ``enabled`` is left at after a clean stop."""

    KEEP = "keep"  # leave it as it is (auditd leaves 1)
    ENABLE = "1"
    DISABLE = "0"


@dataclass(frozen=True)
class SpaceThreshold:
    """``space_left``/``admin_space_left``: MiB, or a percentage of the log's file system."""

    value: int
    percent: bool = False

    def bytes_for(self, fs_total_bytes: int) -> int:
        """The threshold in bytes; a percentage is taken of the file system's size, as auditd does."""
        if self.percent:
            return fs_total_bytes * self.value // 100
        return self.value * MIB

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)


@dataclass(frozen=True)
class ActionSpec:
    """A failure action and, for ``exec``, the script to run."""

    action: FailureAction
    exe: str | None = None

    def __str__(self) -> str:
        return f"{self.action} {self.exe}" if self.exe else str(self.action)


@dataclass(frozen=True)
class KauditdSetting:
    """``kauditd_priority``: ``keep`` (0), a nice boost 1-20, or ``realtime`` (see daemon.kauditd)."""

    boost: int = 0
    realtime: bool = False

    def __str__(self) -> str:
        if self.realtime:
            return "realtime"
        return str(self.boost) if self.boost else "keep"


@dataclass(frozen=True)
class DaemonConfig:
    """Everything the daemon reads from its configuration (defaults: auditd's compiled-in ones)."""

    # auditd keywords c2audit implements
    log_file: str = "/var/log/c2audit/audit.log"
    write_logs: bool = True
    log_format: LogFormat = LogFormat.RAW
    log_group: int = 0  # gid; 0 (root) means no group read access (mode 0600)
    priority_boost: int = 4
    flush: FlushMode = FlushMode.NONE
    freq: int = 0
    num_logs: int = 0
    name_format: NameFormat = NameFormat.NONE
    name: str | None = None
    max_log_file: int = 0  # MiB; 0 = no limit
    max_log_file_action: SizeAction = SizeAction.IGNORE
    space_left: SpaceThreshold = SpaceThreshold(0)
    space_left_action: ActionSpec = ActionSpec(FailureAction.IGNORE)
    admin_space_left: SpaceThreshold = SpaceThreshold(0)
    admin_space_left_action: ActionSpec = ActionSpec(FailureAction.IGNORE)
    disk_full_action: ActionSpec = ActionSpec(FailureAction.IGNORE)
    disk_error_action: ActionSpec = ActionSpec(FailureAction.SYSLOG)
    # c2audit's own keywords
    netlink_rcvbuf: int = 256 * MIB
    backlog_limit: int | None = None  # None: leave the kernel's value
    backlog_wait_time: int | None = None  # jiffies, as auditctl --backlog_wait_time
    rate_limit: int | None = None
    failure_mode: int | None = None  # 0 silent or 1 printk; 2 (panic) is refused
    enable_at_start: StartupEnable = StartupEnable.ENABLE
    enabled_at_exit: ExitEnable = ExitEnable.KEEP
    status_interval: int = 5  # seconds between AUDIT_GET polls of lost/backlog
    queue_depth: int = 64  # record batches between reader and writer
    exclude_self: bool = True  # never rules for our pid and our children (daemon.selfexclude)
    kauditd_priority: KauditdSetting = KauditdSetting(realtime=True)  # daemon.kauditd
    pid_file: str = "/run/c2audit/c2audit.pid"
    state_file: str = "/run/c2audit/c2audit.state"
    # where the file came from, and auditd keywords it holds that have no effect here
    source: str = "<defaults>"
    lines: dict[str, int] = field(default_factory=dict, compare=False)
    ignored: tuple[tuple[str, int], ...] = ()

    def line_of(self, keyword: str) -> int | None:
        """The line that set ``keyword`` (None: the default), for messages about it."""
        return self.lines.get(keyword)


GroupLookup = Callable[[str], int]


def lookup_group(name: str) -> int:
    """The gid of a group name (``KeyError`` when unknown)."""
    return grp.getgrnam(name).gr_gid


# ---------------------------------------------------------------- value parsers
# Each takes (value, option, context) and returns the field's value or raises
# _Bad(message); the caller adds file, line and keyword.


class _Bad(Exception):
    pass


@dataclass(frozen=True)
class _Context:
    group_lookup: GroupLookup


def _digits(value: str, maximum: int | None = None, minimum: int = 0) -> int:
    if not value.isascii() or not value.isdigit():
        raise _Bad(f"value {value!r} should only be numbers")
    number = int(value)
    if maximum is not None and number > maximum:
        raise _Bad(f"value {value} is too large (at most {maximum})")
    if number < minimum:
        raise _Bad(f"value {value} is too small (at least {minimum})")
    return number


def _number(maximum: int | None = None, minimum: int = 0) -> Callable[[str, str | None, _Context], int]:
    return lambda value, _option, _ctx: _digits(value, maximum, minimum)


def _choice(kind: type[enum.StrEnum], *refused: str) -> Callable[[str, str | None, _Context], enum.StrEnum]:
    def parse(value: str, _option: str | None, _ctx: _Context) -> enum.StrEnum:
        lowered = value.lower()
        if lowered in refused or lowered not in kind._value2member_map_:
            allowed = "|".join(v for v in kind._value2member_map_ if v not in refused)
            raise _Bad(f"option {value!r} not valid here (expected {allowed})")
        return kind(lowered)

    return parse


def _yes_no(value: str, _option: str | None, _ctx: _Context) -> bool:
    lowered = value.lower()
    if lowered not in ("yes", "no"):
        raise _Bad(f"option {value!r} not valid here (expected yes|no)")
    return lowered == "yes"


def _absolute_path(value: str, _option: str | None, _ctx: _Context) -> str:
    if not value.startswith("/"):
        raise _Bad(f"{value!r} is not an absolute path")
    if value.endswith("/"):
        raise _Bad(f"{value!r} names a directory, not a file")
    return value


def _log_file(value: str, option: str | None, ctx: _Context) -> str:
    path = _absolute_path(value, option, ctx)
    directory = path.rsplit("/", 1)[0]
    if len(directory) < 4:  # auditd: '/var' is the shortest directory it accepts
        raise _Bad(f"the directory of {value!r} is too short (a log needs its own directory)")
    return path


def _group(value: str, _option: str | None, ctx: _Context) -> int:
    if value[:1].isdigit():
        return _digits(value, 2**32 - 2)
    try:
        return ctx.group_lookup(value)
    except KeyError:
        raise _Bad(f"group {value!r} is non-numeric and unknown") from None


def _space(value: str, _option: str | None, _ctx: _Context) -> SpaceThreshold:
    if value.endswith("%"):
        percent = _digits(value[:-1], 99, 1) if value[:-1] else None
        if percent is None:
            raise _Bad(f"value {value!r} should be a number of MiB or 1%..99%")
        return SpaceThreshold(percent, percent=True)
    return SpaceThreshold(_digits(value))


def _action(*refused: str) -> Callable[[str, str | None, _Context], ActionSpec]:
    choose = _choice(FailureAction, *refused)

    def parse(value: str, option: str | None, ctx: _Context) -> ActionSpec:
        action = FailureAction(choose(value, None, ctx))
        if action is FailureAction.EXEC:
            if option is None:
                raise _Bad("exec needs the absolute path of the script to run")
            return ActionSpec(action, _absolute_path(option, None, ctx))
        if option is not None:
            raise _Bad(f"unexpected option {option!r} (only exec takes a script)")
        return ActionSpec(action)

    return parse


_SIZE_SUFFIX = {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}


def _byte_size(value: str, _option: str | None, _ctx: _Context) -> int:
    match = re.fullmatch(r"([0-9]+)([kKmMgG]?)", value)
    if not match:
        raise _Bad(f"value {value!r} should be a number of bytes, optionally with K, M or G")
    size = int(match.group(1)) * _SIZE_SUFFIX[match.group(2).lower()]
    if not 4096 <= size <= 2**31 - 1:
        raise _Bad(f"value {value} is out of range (4K..2047M: the kernel's int)")
    return size


def _failure_mode(value: str, _option: str | None, _ctx: _Context) -> int:
    if value == "2":
        raise _Bad("2 (panic) is refused: set it with `c2audit ctl -f 2` if you mean it")
    return _digits(value, 1)


def _enabled_at_exit(value: str, option: str | None, ctx: _Context) -> ExitEnable:
    return ExitEnable(_choice(ExitEnable)(value, option, ctx))


def _local_events(value: str, option: str | None, ctx: _Context) -> bool:
    if not _yes_no(value, option, ctx):
        raise _Bad("no is not supported: c2audit has no network listener to aggregate from")
    return True


def _kauditd_priority(value: str, _option: str | None, _ctx: _Context) -> KauditdSetting:
    lowered = value.lower()
    if lowered in ("keep", "realtime"):
        return KauditdSetting(realtime=lowered == "realtime")
    if not value.isascii() or not value.isdigit():
        raise _Bad(f"option {value!r} not valid here (expected keep|realtime|a nice boost 0..20)")
    return KauditdSetting(boost=_digits(value, 20))


def _name(value: str, _option: str | None, _ctx: _Context) -> str:
    return value


# keyword -> (DaemonConfig field, parser, takes an option)
_KEYWORDS: dict[str, tuple[str, Callable[[str, str | None, _Context], object], bool]] = {
    "local_events": ("", _local_events, False),
    "write_logs": ("write_logs", _yes_no, False),
    "log_file": ("log_file", _log_file, False),
    "log_format": ("log_format", _choice(LogFormat), False),
    "log_group": ("log_group", _group, False),
    "priority_boost": ("priority_boost", _number(2**31 - 1), False),
    "flush": ("flush", _choice(FlushMode), False),
    "freq": ("freq", _number(2**31 - 1), False),
    "num_logs": ("num_logs", _number(999), False),
    "name_format": ("name_format", _choice(NameFormat), False),
    "name": ("name", _name, False),
    "max_log_file": ("max_log_file", _number(2**31 - 1), False),
    "max_log_file_action": ("max_log_file_action", _choice(SizeAction), False),
    "space_left": ("space_left", _space, False),
    "space_left_action": ("space_left_action", _action(), True),
    "admin_space_left": ("admin_space_left", _space, False),
    "admin_space_left_action": ("admin_space_left_action", _action(), True),
    "disk_full_action": ("disk_full_action", _action("email"), True),
    "disk_error_action": ("disk_error_action", _action("email", "rotate"), True),
    "netlink_rcvbuf": ("netlink_rcvbuf", _byte_size, False),
    "backlog_limit": ("backlog_limit", _number(2**32 - 1), False),
    "backlog_wait_time": ("backlog_wait_time", _number(2**31 - 1), False),
    "rate_limit": ("rate_limit", _number(2**32 - 1), False),
    "failure_mode": ("failure_mode", _failure_mode, False),
    "enable_at_start": ("enable_at_start", _choice(StartupEnable), False),
    "enabled_at_exit": ("enabled_at_exit", _enabled_at_exit, False),
    "status_interval": ("status_interval", _number(3600, 1), False),
    "queue_depth": ("queue_depth", _number(65536, 1), False),
    "exclude_self": ("exclude_self", _yes_no, False),
    "kauditd_priority": ("kauditd_priority", _kauditd_priority, False),
    "pid_file": ("pid_file", _absolute_path, False),
    "state_file": ("state_file", _absolute_path, False),
}

# auditd keywords with no effect in c2audit (network listener, plugins, mail)
IGNORED_KEYWORDS = frozenset({
    "verify_email", "action_mail_acct", "use_libwrap", "tcp_listen_port", "tcp_listen_queue",
    "tcp_max_per_addr", "tcp_client_ports", "tcp_client_max_idle", "transport", "enable_krb5",
    "krb5_principal", "krb5_key_file", "distribute_network", "q_depth", "overflow_action",
    "max_restarts", "plugin_dir", "end_of_event_timeout", "dispatcher", "disp_qos",
})

KEYWORDS = frozenset(_KEYWORDS)


def _split(line: str) -> tuple[str, str | None, str | None, str | None] | None:
    """(keyword, value, option, error) of one line, or None for blank/comment lines."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    keyword, equals, rest = stripped.partition("=")
    keyword = keyword.strip()
    if not equals:
        return stripped.split()[0], None, None, "missing equal sign"
    if not keyword or len(keyword.split()) != 1:
        return keyword or "=", None, None, "expected `keyword = value`"
    tokens = rest.split()
    if not tokens:
        return keyword, None, None, "missing value"
    if len(tokens) > 2:
        return keyword, None, None, f"too many values: {rest.strip()!r}"
    return keyword, tokens[0], tokens[1] if len(tokens) == 2 else None, None


def parse_config(
    text: str,
    path: str = "<text>",
    *,
    base: DaemonConfig | None = None,
    group_lookup: GroupLookup = lookup_group,
) -> DaemonConfig:
    """Parse ``auditd.conf`` text over ``base`` (auditd's defaults); raise :class:`ConfigError`."""
    ctx = _Context(group_lookup)
    values: dict[str, object] = {}
    lines: dict[str, int] = {}
    ignored: list[tuple[str, int]] = []
    for number, line in enumerate(text.split("\n"), start=1):  # as fgets: only \n ends a line
        parts = _split(line)
        if parts is None:
            continue
        keyword, value, option, error = parts
        name = keyword.lower()
        if error:
            raise ConfigError(path, number, keyword, error, line)
        if name in IGNORED_KEYWORDS:
            ignored.append((name, number))
            continue
        entry = _KEYWORDS.get(name)
        if entry is None:
            raise ConfigError(path, number, keyword, "unknown keyword", line)
        field_name, parse, takes_option = entry
        if option is not None and not takes_option:
            raise ConfigError(path, number, keyword, f"unexpected second value {option!r}", line)
        try:
            parsed = parse(value or "", option, ctx)
        except _Bad as bad:
            raise ConfigError(path, number, keyword, str(bad), line) from None
        if field_name:
            values[field_name] = parsed
            lines[name] = number
    config = dataclasses.replace(
        base or DaemonConfig(), **values, source=path, lines=lines, ignored=tuple(ignored)
    )
    _check_together(config)
    return config


def _check_together(config: DaemonConfig) -> None:
    """Checks across keywords (auditd's ``sanity_check`` and ``resolve_node``)."""
    path = config.source
    if config.flush in (FlushMode.INCREMENTAL, FlushMode.INCREMENTAL_ASYNC) and config.freq == 0:
        raise ConfigError(path, config.line_of("freq") or config.line_of("flush"), "freq",
                          f"flush = {config.flush} needs freq > 0")
    low, lower = config.space_left, config.admin_space_left
    if low.percent == lower.percent and lower.value > low.value:
        raise ConfigError(path, config.line_of("admin_space_left"), "admin_space_left",
                          f"admin_space_left ({lower}) must not be larger than space_left ({low})")
    if config.name_format is NameFormat.USER and not config.name:
        raise ConfigError(path, config.line_of("name_format"), "name",
                          "name_format = user needs a `name = ...` line")


def load_config(path: str, *, group_lookup: GroupLookup = lookup_group) -> DaemonConfig:
    """Read and parse a configuration file (``ConfigError`` also for an unreadable file)."""
    try:
        with open(path, encoding="utf-8", errors="strict") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, None, f"cannot read: {exc}") from None
    return parse_config(text, path, group_lookup=group_lookup)


# Debian's shipped auditd.conf's disk-space thresholds and actions: the default below has them
# and bench/seedload gives them to both daemons, so one copy keeps the two in step.
DEBIAN_SPACE_ACTIONS = """\
space_left = 75
space_left_action = SYSLOG
admin_space_left = 50
admin_space_left_action = SUSPEND
disk_full_action = SUSPEND
disk_error_action = SUSPEND
"""

# The configuration `c2audit daemon` runs with when given none: Debian's shipped
# auditd.conf for the options c2audit implements (RAW instead of ENRICHED: the
# standard format at the lowest cost), plus c2audit's kernel settings.
DEFAULT_CONFIG_TEXT = f"""\
# c2audit daemon -- embedded default configuration (auditd.conf syntax)
log_file = /var/log/c2audit/audit.log
write_logs = yes
log_format = RAW
log_group = root
priority_boost = 4
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 8
num_logs = 5
max_log_file_action = ROTATE
name_format = NONE
{DEBIAN_SPACE_ACTIONS}# c2audit's own keywords
netlink_rcvbuf = 256M
backlog_limit = 8192
enable_at_start = enable
enabled_at_exit = keep
status_interval = 5
queue_depth = 64
exclude_self = yes
kauditd_priority = realtime
pid_file = /run/c2audit/c2audit.pid
state_file = /run/c2audit/c2audit.state
"""


def default_config() -> DaemonConfig:
    return parse_config(DEFAULT_CONFIG_TEXT, "<embedded default>", group_lookup=lookup_group)
