"""Event normalization (``auparse_normalize``): subject, action, object, results, how, key.

libauparse's normalizer (``auparse/normalize.c``) walks the current event with
the parser's own cursor calls and remembers *where* things are — a record
and field number per item — so that ``aup_normalize_subject_primary()`` and
friends move the cursor there.  It relies on every side effect of those
calls (``find_field`` crossing records, a failed search leaving the cursor
past the end, ``first_record`` reloading interpretations), so it is ported
here call for call onto :class:`_Calls`, which gives the parser's cursor the
C functions' return conventions.  The policy tables are data:
``normalize.yaml`` (record actions, object kinds, from 3.0.9) and the
generated ``normalize_syscall_map`` and ``normalize_evtypetab``.

:func:`bind` adds the binding's ``aup_normalize*`` methods to ``AuParser``.
"""
from __future__ import annotations

import pwd
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from c2audit.interpret import FieldType
from c2audit.cnum import strtoul
from c2audit.tables import uapi as U
from c2audit.tables.auparse import normalize_evtypetab, normalize_syscall_map

from .constants import NORM_OPT_ALL, NORM_OPT_NO_ATTRS

if TYPE_CHECKING:
    from .parser import AuParser

_POLICY = yaml.safe_load((Path(__file__).parent / "normalize.yaml").read_text())
# by libaudit.h's AUDIT_<name> (msg_typetab lacks a few daemon types, e.g. DAEMON_RECONFIG)
RECORD_ACTIONS: dict[int, str] = {
    getattr(U, f"AUDIT_{name}"): action for name, action in _POLICY["record_actions"].items()
}
OBJECT_KINDS: dict[str, str] = dict(_POLICY["object_kinds"])
SYSCALL_KINDS: dict[str, str] = {}
for _kind, _syscall in normalize_syscall_map.ENTRIES:
    SYSCALL_KINDS.setdefault(_syscall, str(_kind))
EVENT_KINDS: dict[str, str] = {str(key): name for key, name in normalize_evtypetab.ENTRIES}

UNSET = 0xFFFF << 16  # a location whose record is 0xFFFF: nothing found
ACCT_PRIV, ACCT_UNSET, ACCT_MAX_SYS, ACCT_MAX_USER = 0, 4294967295, 1000, 60000
_INTERPRETERS = ("/usr/bin/python", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/perl")


def location(record: int, field_number: int) -> int:
    """``set_record(0, record)`` then ``set_field``: 16 bits each, as the C library packs them."""
    return ((record & 0xFFFF) << 16) | (field_number & 0xFFFF)


@dataclass(slots=True)
class Normalization:
    """``normalize_data``: what one ``aup_normalize()`` found (locations are packed record/field)."""

    evkind: str | None = None
    session: int = UNSET
    actor_primary: int = UNSET
    actor_secondary: int = UNSET
    actor_what: str | None = None
    actor_attrs: list[int] = field(default_factory=list)
    actor_cursor: int = -1  # cllist cur: index into the list, -1 for NULL
    action: str | None = None
    thing_primary: int = UNSET
    thing_secondary: int = UNSET
    thing_two: int = UNSET
    thing_attrs: list[int] = field(default_factory=list)
    thing_cursor: int = -1
    thing_what: str = "NORM_WHAT_UNKNOWN"
    results: int = UNSET
    how: str | None = None
    opt: int = NORM_OPT_ALL
    key: int = UNSET
    syscall_success: int = -1

    def add_actor_attr(self, where: int) -> None:
        self.actor_attrs.append(where)
        self.actor_cursor = len(self.actor_attrs) - 1

    def add_thing_attr(self, where: int) -> None:
        self.thing_attrs.append(where)
        self.thing_cursor = len(self.thing_attrs) - 1


class _Calls:
    """The parser's cursor with libauparse's C return conventions (ints and NULLs, no exceptions)."""

    def __init__(self, parser: AuParser) -> None:
        self.p = parser

    def first_record(self) -> int:
        return self.p._first_record()

    def next_record(self) -> int:
        return 1 if self.p.next_record() else 0

    def goto_record_num(self, number: int) -> int:
        return 1 if self.p.goto_record_num(number) else 0

    def first_field(self) -> int:
        return 1 if self.p.first_field() else 0

    def next_field(self) -> int:
        return 1 if self.p.next_field() else 0

    def find_field(self, name: str) -> str | None:
        return self.p.find_field(name)

    def get_type(self) -> int:
        record = self.p._record
        return record.type if record is not None else 0

    def get_record_num(self) -> int:
        return self.p._index if self.p._index >= 0 else 0

    def get_field_num(self) -> int:
        return self.p._fi if self.p._record is not None else 0

    def goto_field_num(self, number: int) -> int:
        fields = self.p._fields
        if fields is None or not 0 <= number < len(fields):
            return 0
        self.p._fi = number
        return 1

    def get_num_records(self) -> int:
        return len(self.p._records)

    def get_field_str(self) -> str | None:
        return self.p._fields[self.p._fi][1] if self.p._readable else None  # type: ignore[index]

    def get_field_type(self) -> int:
        return self.p.get_field_type()

    def get_field_int(self) -> tuple[int, int]:
        """(value, errno) of ``auparse_get_field_int``."""
        try:
            return self.p.get_field_int(), 0
        except OSError as exc:
            return -1, exc.errno or 0

    def get_field_name(self) -> str | None:
        return self.p._fields[self.p._fi][0] if self.p._readable else None  # type: ignore[index]

    def interpret_field(self) -> str | None:
        try:
            return self.p.interpret_field()
        except RuntimeError:
            return None


class _Normalizer:
    """One run of ``auparse_normalize`` (normalize.c's static functions as methods)."""

    def __init__(self, parser: AuParser) -> None:
        self.parser = parser
        self.au = _Calls(parser)
        self.d = Normalization()

    # --- subject ------------------------------------------------------------------------

    def set_subject_what(self) -> int:
        au, d = self.au, self.d
        uid = ACCT_UNSET - 1
        if au.get_field_type() == FieldType.UID:
            uid = au.get_field_int()[0]
        else:
            if au.get_field_name() == "acct":
                acct = au.interpret_field()
                if acct:
                    try:
                        uid = pwd.getpwnam(acct).pw_uid
                    except (KeyError, ValueError):
                        d.actor_what = "unknown-acct"
                        return 1
                    return self._subject_kind(uid)
            d.actor_what = "unknown-acct"
            return 1
        return self._subject_kind(uid)

    def _subject_kind(self, uid: int) -> int:
        d = self.d
        if uid == ACCT_PRIV:
            d.actor_what = "privileged-acct"
        elif (uid & 0xFFFFFFFF) == ACCT_UNSET:
            d.actor_what = "unset-acct"
        elif uid < ACCT_MAX_SYS:  # a signed int: negative ids count as service accounts
            d.actor_what = "service-acct"
        elif uid < ACCT_MAX_USER:
            d.actor_what = "user-acct"
        else:
            d.actor_what = "unknown-acct"
        return 0

    def set_prime_subject(self, name: str, record: int) -> int:
        if self.au.find_field(name):
            self.d.actor_primary = location(record, self.au.get_field_num())
            return 0
        return 1

    def set_secondary_subject(self, name: str, record: int) -> int:
        if self.au.find_field(name):
            self.d.actor_secondary = location(record, self.au.get_field_num())
            return self.set_subject_what()
        return 1

    def add_subj_attr(self, name: str, record: int) -> int:
        if self.au.find_field(name):
            self.d.add_actor_attr(location(record, self.au.get_field_num()))
            return 0
        self.au.goto_record_num(record)
        return 1

    def add_session(self, record: int) -> int:
        if self.au.find_field("ses"):
            self.d.session = location(record, self.au.get_field_num())
            return 0
        self.au.first_record()
        return 1

    def set_results(self, record: int) -> int:
        if self.au.find_field("res"):
            self.d.results = location(record, self.au.get_field_num())
            return 0
        return 1

    def syscall_subj_attr(self) -> None:
        au = self.au
        au.first_record()
        while True:
            record = au.get_record_num()
            if au.get_type() == U.AUDIT_SYSCALL:
                if self.d.opt == NORM_OPT_NO_ATTRS:
                    self.add_session(record)
                    return
                for name in ("ppid", "pid", "gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid", "tty"):
                    self.add_subj_attr(name, record)
                self.add_session(record)
                self.add_subj_attr("subj", record)
                return
            if au.next_record() != 1:
                return

    def collect_simple_subj_attr(self) -> None:
        if self.d.opt == NORM_OPT_NO_ATTRS:
            return
        self.au.first_record()
        self.add_subj_attr("pid", 0)
        self.add_subj_attr("subj", 0)

    def collect_userspace_subj_attr(self, record_type: int) -> None:
        if self.d.opt == NORM_OPT_NO_ATTRS:
            return
        self.add_subj_attr("hostname", 0)
        self.add_subj_attr("addr", 0)
        if record_type not in (U.AUDIT_USER_START, U.AUDIT_USER_END, U.AUDIT_USER_ERR):
            self.add_subj_attr("terminal", 0)

    # --- object -------------------------------------------------------------------------

    def set_prime_object(self, name: str, record: int) -> int:
        if self.au.find_field(name):
            self.d.thing_primary = location(record, self.au.get_field_num())
            return 0
        return 1

    def set_prime_object2(self, name: str, adjust: int) -> int:
        record = 2 + adjust
        self.au.goto_record_num(record)
        self.au.first_field()
        if self.au.find_field(name):
            self.d.thing_two = location(record, self.au.get_field_num())
            return 0
        return 1

    def add_obj_attr(self, name: str, record: int) -> int:
        if self.au.find_field(name):
            self.d.add_thing_attr(location(record, self.au.get_field_num()))
            return 0
        self.au.goto_record_num(record)
        return 1

    def _thing_primary_here(self) -> None:
        self.d.thing_primary = location(self.au.get_record_num(), self.au.get_field_num())

    def collect_perm_obj2(self, syscall: str) -> None:
        self._collect_obj2("a2" if syscall == "fchmodat" else "a1", skip_unchanged=False)

    def collect_own_obj2(self, syscall: str) -> None:
        self._collect_obj2("a2" if syscall == "fchownat" else "a1", skip_unchanged=True)

    def _collect_obj2(self, name: str, skip_unchanged: bool) -> None:
        au = self.au
        au.first_record()
        if au.find_field(name):
            # an owner of -1 is not being changed: the group (next field) is the object
            if skip_unchanged and au.get_field_int() == (-1, 0):
                au.next_field()
            self.d.thing_two = location(0, au.get_field_num())

    def collect_id_obj2(self, syscall: str) -> None:
        limits = {"setuid": 1, "setreuid": 2, "setresuid": 3, "setgid": 1, "setregid": 2, "setresgid": 3}
        limit = limits.get(syscall)
        if limit is None:
            return
        au = self.au
        au.first_record()
        if au.find_field("a0"):
            count = 1
            while count <= limit:
                if au.interpret_field() == "unset":
                    if count < limit:
                        if au.next_field() == 0:
                            return
                        count += 1
                    else:
                        return
                else:
                    break
            self.d.thing_two = location(0, au.get_field_num())

    def collect_path_attrs(self) -> None:
        au = self.au
        record = au.get_record_num()
        au.first_field()
        if self.add_obj_attr("mode", record):
            return  # failed opens have nothing else
        while au.next_field():
            self.d.add_thing_attr(location(record, au.get_field_num()))

    def simple_file_attr(self) -> None:
        au = self.au
        if self.d.opt == NORM_OPT_NO_ATTRS:
            return
        parent = 0
        au.first_record()
        while True:
            record_type = au.get_type()
            if record_type == U.AUDIT_PATH:
                if au.find_field("nametype") == "PARENT":
                    if parent == 0:
                        parent = au.get_record_num()
                else:
                    self.collect_path_attrs()  # the first normal record is collected
                    return
            elif record_type == U.AUDIT_CWD:
                self.add_obj_attr("cwd", au.get_record_num())
            elif record_type == U.AUDIT_SOCKADDR:
                self.add_obj_attr("saddr", au.get_record_num())
            if au.next_record() != 1:
                break
        if parent:  # no normal PATH record: the parent's will do
            au.goto_record_num(parent)
            self.collect_path_attrs()

    def set_file_object(self, adjust: int) -> None:
        au, d = self.au, self.d
        parent = 0
        au.goto_record_num(2 + adjust)
        au.first_field()
        while True:
            found = au.find_field("nametype")
            if found:
                if found != "PARENT":
                    break
                if parent == 0:
                    parent = au.get_record_num()
            if not (found and au.next_record() == 1):
                break
        if found is None:
            if parent == 0:
                return
            au.goto_record_num(parent)
            au.first_field()
            record = parent
        else:
            record = au.get_record_num()
        if au.get_type() == U.AUDIT_PATH:
            au.first_field()
            self.set_prime_object("name", record)
            if au.find_field("inode"):
                d.thing_secondary = location(record, au.get_field_num())
            mode_text = au.find_field("mode")
            if mode_text:
                mode, erange = strtoul(mode_text, 8)
                if not erange:
                    kind = _FILE_KINDS.get(mode & 0o170000)
                    if kind is not None:
                        d.thing_what = kind

    def set_socket_object(self) -> None:
        self.au.goto_record_num(1)
        self.au.first_field()
        self.set_prime_object("saddr", 1)

    def set_program_obj(self) -> int:
        au, d = self.au, self.d
        au.first_record()
        record_type = au.get_type()
        if record_type == U.AUDIT_BPF:
            if au.find_field("prog-id"):
                self._thing_primary_here()
        elif record_type == U.AUDIT_EVENT_LISTENER:
            if au.find_field("nl-mcgrp"):
                self._thing_primary_here()
        elif au.find_field("exe"):
            exe = au.interpret_field() or ""
            if exe.startswith(_INTERPRETERS):
                number = au.get_field_num()  # comm should be the previous field
                if number > 0:
                    au.goto_field_num(number - 1)
                else:
                    au.first_record()
                au.find_field("comm")
            d.thing_primary = location(au.get_record_num(), au.get_field_num())
            return 0
        return 1

    # --- syscall events -----------------------------------------------------------------

    def normalize_syscall(self, syscall: str | None) -> None:
        au, d = self.au, self.d
        objtype, tmp_objkind, record_type = "NORM_UNKNOWN", "NORM_UNKNOWN", 0
        rc = au.first_record()
        while rc == 1:
            record_type = au.get_type()
            marker = _RECORD_OBJECT_KINDS.get(record_type)
            if marker is not None:
                if marker in ("NORM_MAC", "NORM_AV"):
                    tmp_objkind = marker  # go ahead with the syscall to get objects
                else:
                    objtype = marker
                break
            rc = au.next_record()
        if objtype == "NORM_UNKNOWN" and syscall is not None:
            objtype = SYSCALL_KINDS.get(syscall, objtype)
        act = _SYSCALL_ACTIONS.get(objtype)
        handler = getattr(self, "_" + objtype.lower(), None)
        if handler is not None:
            act = handler(syscall, record_type, act)
        else:
            act = self._norm_default()
        if tmp_objkind == "NORM_MAC":
            act = "accessed-mac-policy-controlled-object"
        elif tmp_objkind == "NORM_AV":
            act = "accessed-policy-controlled-file"
        if act:
            d.action = act

    def _file_object(self, what: str, adjust: int) -> None:
        self.d.thing_what = what  # set_file_object overrides it from the mode
        self.set_file_object(adjust)
        self.simple_file_attr()

    def _norm_file(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.set_file_object(0)
        self.d.thing_what = "NORM_WHAT_FILE"  # this one does get overridden, as in C
        self.simple_file_attr()
        return act

    def _norm_file_chattr(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILE", -1 if syscall == "fsetxattr" else 0)
        return act

    def _norm_file_chperm(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        self.collect_perm_obj2(syscall)
        self.set_file_object(-1 if syscall == "fchmod" else 0)
        self.simple_file_attr()
        return act

    def _norm_file_chown(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        self.collect_own_obj2(syscall)
        self.set_file_object(-1 if syscall == "fchown" else 0)
        self.simple_file_attr()
        return act

    def _norm_file_ldmod(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        self.au.goto_record_num(1)
        self.set_prime_object("name", 1)
        return act

    def _norm_file_unldmod(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        return act

    def _norm_file_dir(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILE", 1)  # the new directory is one after
        return act

    def _norm_file_mount(self, syscall: str, rtype: int, act: str | None) -> str | None:
        d = self.d
        d.thing_what = "NORM_WHAT_FILESYSTEM"
        if d.syscall_success == 1:
            self.set_prime_object2("name", 0)
        self.set_file_object(d.syscall_success)  # the device is 1 after on success, 0 on failure
        self.collect_path_attrs()
        return act

    def _norm_file_rename(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        self.set_prime_object2("name", 4)
        self.set_file_object(2)
        self.simple_file_attr()
        return act

    def _norm_file_stat(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILE", 0)
        return act

    def _norm_file_sys_stat(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILESYSTEM", 0)
        return act

    def _norm_file_lnk(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_FILE"
        self.set_prime_object2("name", 0)
        self.set_file_object(2)
        self.simple_file_attr()
        return act

    def _norm_file_umnt(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILESYSTEM", 0)
        return act

    _norm_file_del = _norm_file_stat
    _norm_file_time = _norm_file_stat

    def _norm_exec(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILE", 1)
        return act

    def _socket(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_SOCKET"
        self.set_socket_object()
        return act

    _norm_socket_accept = _norm_socket_bind = _norm_socket_conn = _socket
    _norm_socket_recv = _norm_socket_send = _socket

    def _norm_pid(self, syscall: str, rtype: int, act: str | None) -> str | None:
        au = self.au
        act = "killed-list-of-pids" if au.get_num_records() > 2 else "killed-pid"
        au.goto_record_num(1)
        au.first_field()
        if au.find_field("saddr"):
            self._thing_primary_here()
        self.d.thing_what = "NORM_WHAT_PROCESS"
        return act

    def _norm_mac_load(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_MAC_CONFIG"
        return RECORD_ACTIONS.get(rtype)

    def _mac_setting(self, name: str, rtype: int) -> str | None:
        if self.au.find_field(name):
            self._thing_primary_here()
        self.d.thing_what = "NORM_WHAT_MAC_CONFIG"
        return RECORD_ACTIONS.get(rtype)

    def _norm_mac_config(self, syscall: str, rtype: int, act: str | None) -> str | None:
        return self._mac_setting("bool", rtype)

    def _norm_mac_enforce(self, syscall: str, rtype: int, act: str | None) -> str | None:
        return self._mac_setting("enforcing", rtype)

    def _norm_mac_err(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_SYSTEM"
        return act

    def _norm_iptables(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.au.first_record()
        if self.au.find_field("table"):
            self._thing_primary_here()
        self.d.thing_what = "NORM_WHAT_FIREWALL"
        return act

    def _norm_promiscuous(self, syscall: str, rtype: int, act: str | None) -> str | None:
        au = self.au
        au.first_record()
        if au.find_field("dev"):
            self._thing_primary_here()
        if au.find_field("prom"):
            act = ("left-promiscuous-mode-on-device" if au.get_field_int()[0] == 0
                   else "entered-promiscuous-mode-on-device")
        self.d.thing_what = "NORM_WHAT_SOCKET"
        return act

    def _norm_uid(self, syscall: str, rtype: int, act: str | None) -> str | None:
        d = self.d
        d.thing_what = "NORM_WHAT_PROCESS"
        self.set_program_obj()
        if d.how is not None:
            d.how = syscall
        self.collect_id_obj2(syscall)
        return act

    _norm_gid = _norm_uid

    def _norm_system_time(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.d.thing_what = "NORM_WHAT_SYSTEM"
        return act

    _norm_system_name = _norm_system_time

    def _norm_make_dev(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self.set_file_object(0)
        self.simple_file_attr()
        what = self.d.thing_what
        if what == "NORM_WHAT_CHAR_DEV":
            return "made-character-device"
        if what == "NORM_WHAT_BLOCK_DEV":
            return "made-block-device"
        return "make-device"

    def _norm_system_memory(self, syscall: str, rtype: int, act: str | None) -> str | None:
        au, d = self.au, self.d
        if d.syscall_success == 1:  # not an mmap AVC: comm names the process
            act = "allocated-memory-in"
            au.first_record()
            if au.find_field("comm"):
                self._thing_primary_here()
        d.thing_what = "NORM_WHAT_MEMORY"
        return act

    def _norm_scheduler(self, syscall: str, rtype: int, act: str | None) -> str | None:
        d = self.d
        d.thing_what = "NORM_WHAT_PROCESS"
        self.set_program_obj()
        if d.how is not None:
            d.how = syscall
        return act

    def _norm_bpf(self, syscall: str, rtype: int, act: str | None) -> str | None:
        act = self._bpf_action()
        self.d.thing_what = "NORM_WHAT_PROCESS"
        self.set_program_obj()
        return act

    def _bpf_action(self) -> str:
        self.au.first_record()
        if self.au.find_field("op"):
            return "loaded-bpf-program" if self.au.get_field_str() == "LOAD" else "unloaded-bpf-program"
        return "bpf-program"

    def _norm_ev_listen(self, syscall: str, rtype: int, act: str | None) -> str | None:
        act = self._listener_action()
        self.d.thing_what = "NORM_WHAT_SOCKET"
        self.set_program_obj()
        return act

    def _listener_action(self) -> str:
        self.au.first_record()
        if self.au.find_field("op"):
            return "connected-to" if self.au.get_field_str() == "connect" else "disconnected-from"
        return "connected"

    def _norm_default(self) -> str:
        au, d = self.au, self.d
        au.first_record()
        key = au.find_field("key")
        if key and key != "(null)":
            act = "triggered-audit-rule"
            self._thing_primary_here()
        else:
            act = "triggered-unknown-audit-rule"
        d.thing_what = "NORM_WHAT_AUDIT_RULE"
        return act

    # --- compound events ----------------------------------------------------------------

    def normalize_compound(self) -> int:
        au, d = self.au, self.d
        otype = record_type = au.get_type()
        if record_type != U.AUDIT_SYSCALL:  # every compound event has a syscall record
            while True:
                au.next_record()
                record_type = au.get_type()
                if not record_type or record_type == U.AUDIT_SYSCALL:
                    break
        if not record_type:
            return 1
        d.evkind = event_kind(otype)
        recno = au.get_record_num()
        syscall = None
        if au.find_field("syscall"):
            syscall = au.interpret_field()
        if au.find_field("success"):
            d.syscall_success = 0 if au.get_field_str() == "no" else 1
            d.results = location(recno, au.get_field_num())
        elif not self._back_to(recno):
            return 1
        if self.set_prime_subject("auid", recno) and not self._back_to(recno):
            return 1
        if self.set_secondary_subject("uid", recno) and not self._back_to(recno):
            return 1
        self.syscall_subj_attr()
        au.first_field()
        if au.find_field("exe"):
            d.how = au.interpret_field()
            if d.how is not None and d.how.startswith(_INTERPRETERS):
                number = au.get_field_num()
                moved = au.goto_field_num(number - 1) if number > 0 else 0
                if moved == 0:
                    au.first_record()
                if au.find_field("comm"):
                    d.how = au.interpret_field()
        elif not self._back_to(recno):
            return 1
        if au.find_field("key") and au.get_field_str() != "(null)":
            d.key = location(recno, au.get_field_num())  # only real keys
        if otype == U.AUDIT_ANOM_LINK:
            action = RECORD_ACTIONS.get(otype)
            if action:
                d.action = action
        elif otype == U.AUDIT_CONFIG_CHANGE:
            au.first_record()
            if au.find_field("op"):
                d.action = au.interpret_field()
                d.thing_primary = self.find_simple_object(U.AUDIT_CONFIG_CHANGE)
        else:
            self.normalize_syscall(syscall)
        return 0

    def _back_to(self, record: int) -> bool:
        """goto_record_num + first_field; False (give up) when the record is gone."""
        if self.au.goto_record_num(record) != 1:
            return False
        self.au.first_field()
        return True

    # --- single-record events -----------------------------------------------------------

    def find_config_change_object(self) -> str | None:
        au = self.au
        au.first_record()
        found = au.find_field("key")
        if found and au.get_field_str() not in (None, "(null)"):
            return found
        for name in ("audit_enabled", "audit_pid", "audit_backlog_limit", "audit_failure", "actions"):
            au.first_record()
            found = au.find_field(name)
            if found:
                return found
        return None

    def find_simple_object(self, record_type: int) -> int:
        au, d = self.au, self.d
        au.first_field()
        found: str | None = None
        rule = _SIMPLE_OBJECTS.get(record_type)
        if record_type == U.AUDIT_CONFIG_CHANGE:
            found = self.find_config_change_object()
            d.thing_what = "NORM_WHAT_AUDIT_CONFIG"
        elif record_type == U.AUDIT_USYS_CONFIG:
            if au.find_field("op"):
                d.action = au.interpret_field()
            d.thing_what = "NORM_WHAT_SYSTEM"
        elif rule is not None:
            name, what, restart = rule
            if restart:
                au.first_record()
            if name:
                found = au.find_field(name)
                if found is None and name == "id":  # account events: id, else acct
                    au.first_record()
                    found = au.find_field("acct")
            if what:
                d.thing_what = what
        return location(0, au.get_field_num()) if found else UNSET

    def _simple_extra(self, record_type: int, table: dict[int, str]) -> int:
        self.au.first_field()
        name = table.get(record_type)
        if name and self.au.find_field(name):
            return location(0, self.au.get_field_num())
        return UNSET

    def _how_from_exe(self) -> None:
        """``how``: the program; for an interpreter, the script (comm) it runs."""
        au, d = self.au, self.d
        if au.find_field("exe"):
            d.how = au.interpret_field()
            if d.how is not None and d.how.startswith(_INTERPRETERS):
                number = au.get_field_num()
                if number > 0:
                    au.goto_field_num(number - 1)
                else:
                    au.first_record()
                if au.find_field("comm"):
                    d.how = au.interpret_field()

    def _how_from(self, name: str) -> None:
        if self.au.find_field(name):
            self.d.how = self.au.interpret_field()

    def normalize_simple(self) -> int:
        au, d = self.au, self.d
        record_type = au.get_type()
        if record_type == U.AUDIT_SYSCALL:  # some older systems have no PROCTITLE records
            return self.normalize_compound()
        d.evkind = event_kind(record_type)
        if record_type in _AUID_OP_UID_EVENTS:
            return self._auid_op_uid_event(record_type)
        special = _SIMPLE_SPECIALS.get(record_type)
        if special is not None:
            return getattr(self, special)(record_type)
        if U.AUDIT_FIRST_DAEMON <= record_type < U.AUDIT_LAST_DAEMON:
            return self._daemon_event(record_type)
        if U.AUDIT_MAC_UNLBL_ALLOW <= record_type <= U.AUDIT_LAST_SELINUX:
            return self._labeled_networking_event(record_type)
        return self._user_event(record_type)

    def _auid_op_uid_event(self, record_type: int) -> int:
        """CONFIG_CHANGE, FEATURE_CHANGE, SECCOMP, ANOM_ABEND, ANOM_PROMISCUOUS: auid, (op), (uid), ..."""
        au, d = self.au, self.d
        self.set_prime_subject("auid", 0)
        self.add_session(0)
        self.collect_simple_subj_attr()
        mapped = True
        if record_type == U.AUDIT_CONFIG_CHANGE:
            au.first_field()
            if au.find_field("op"):
                op = au.interpret_field() or ""
                if op.startswith('"'):
                    op = op[1:]
                if op.startswith("add_rule"):
                    d.action, mapped = "added-audit-rule", False
                elif op.startswith("remove_rule"):
                    d.action, mapped = "deleted-audit-rule", False
                if not mapped:
                    d.thing_primary = self.find_simple_object(record_type)
        if mapped:
            action = RECORD_ACTIONS.get(record_type)
            if action:
                d.action = action
            if record_type == U.AUDIT_CONFIG_CHANGE:
                d.thing_primary = self.find_simple_object(record_type)
            au.first_record()
        if record_type == U.AUDIT_FEATURE_CHANGE:
            self._secondary_uid_or_restart()
            self._how_from("exe")
            self.set_prime_object("feature", 0)
            d.thing_what = "NORM_WHAT_SYSTEM"
        if record_type == U.AUDIT_SECCOMP:
            self._secondary_uid_or_restart()
            self._how_from("exe")
            if self.set_prime_object("syscall", 0):
                au.first_record()
            d.thing_what = "NORM_WHAT_PROCESS"
            if au.find_field("code"):
                d.results = location(0, au.get_field_num())
            return 0
        if record_type == U.AUDIT_ANOM_ABEND:
            self._secondary_uid_or_restart()
            if self.set_prime_object("exe", 0):
                au.first_record()
            d.thing_what = "NORM_WHAT_PROCESS"
            self._how_from("sig")
        if record_type == U.AUDIT_ANOM_PROMISCUOUS:
            au.first_field()
            self.set_prime_object("dev", 0)
            self.set_secondary_subject("uid", 0)
            d.thing_what = "NORM_WHAT_SOCKET"
        self.set_results(0)
        return 0

    def _secondary_uid_or_restart(self) -> None:
        self.au.first_field()
        if self.set_secondary_subject("uid", 0):
            self.au.first_record()

    def _login_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        if self.set_secondary_subject("uid", 0):
            au.first_record()
        self.collect_simple_subj_attr()
        if self.set_prime_subject("old-auid", 0):
            au.first_record()
        if self.set_prime_object("auid", 0):
            au.first_record()
        d.thing_what = "NORM_WHAT_USER_SESSION"
        self.add_session(0)
        self.set_results(0)
        action = RECORD_ACTIONS.get(record_type)
        if action:
            d.action = action
        return 0

    def _netfilter_cfg_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        self.collect_simple_subj_attr()
        self._how_from("comm")
        d.action = "loaded-firewall-rule-to"
        au.first_record()
        if au.find_field("table"):
            self._thing_primary_here()
        d.actor_what = "system"
        d.thing_what = "NORM_WHAT_FIREWALL"
        return 0

    def _avc_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        if au.find_field("comm"):
            d.how = au.interpret_field()
        else:
            au.first_record()
        self.set_prime_subject("scontext", 0)
        d.actor_what = "unknown-acct"
        au.first_record()
        if d.opt == NORM_OPT_ALL:  # only when everything is asked for: it upsets text output
            self.set_prime_object("tcontext", 0)
            au.first_record()
        d.thing_what = "NORM_WHAT_UNKNOWN"
        action = RECORD_ACTIONS.get(record_type)
        if action:
            d.action = action
        au.first_record()
        if au.find_field("seresult"):
            d.results = location(0, au.get_field_num())
        return 0

    def _daemon_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        self.set_prime_subject("auid", 0)
        if self.set_secondary_subject("uid", 0):
            au.first_record()
        if self.add_session(0):
            au.first_record()
        self.collect_simple_subj_attr()
        d.actor_what = "auditd"
        action = RECORD_ACTIONS.get(record_type)
        if action:
            d.action = action
        d.thing_what = "NORM_WHAT_SERVICE"
        if record_type == U.AUDIT_DAEMON_START:
            d.how = "init"
        elif record_type < U.AUDIT_DAEMON_ACCEPT and record_type != U.AUDIT_DAEMON_ABORT:
            d.how = "signal"
        self.set_results(0)
        return 0

    def _bpf_event(self, record_type: int) -> int:
        d = self.d
        d.actor_what = "system"
        d.action = self._bpf_action()
        d.thing_what = "NORM_WHAT_PROCESS"
        self.set_program_obj()
        return 0

    def _listener_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        self.set_prime_subject("auid", 0)
        au.first_record()
        self.set_secondary_subject("uid", 0)
        au.first_record()
        self.add_session(0)
        self.collect_simple_subj_attr()
        d.action = self._listener_action()
        self.set_program_obj()
        d.thing_what = "NORM_WHAT_SOCKET"
        au.first_record()
        self._how_from("exe")
        au.first_record()
        self.set_results(0)
        return 0

    def _labeled_networking_event(self, record_type: int) -> int:
        au, d = self.au, self.d
        self.set_prime_subject("auid", 0)
        self.set_subject_what()  # no secondary subject: auid it is
        self.add_session(0)
        self.add_subj_attr("subj", 0)
        action = None
        if record_type == U.AUDIT_MAC_UNLBL_ALLOW:
            if au.find_field("unlbl_accept"):
                action = ("is-allowing-unlabeled-network-traffic" if au.get_field_int()[0] == 1
                          else "is-disallowing-unlabeled-network-traffic")
            else:
                au.first_record()
        else:
            action = RECORD_ACTIONS.get(record_type)
        if action:
            d.action = action
        if record_type in (U.AUDIT_MAC_MAP_ADD, U.AUDIT_MAC_MAP_DEL):
            if self.set_prime_object("nlbl_domain", 0):
                au.first_record()
        d.thing_what = "NORM_WHAT_MAC_CONFIG"
        self.set_results(0)
        return 0

    def _user_event(self, record_type: int) -> int:
        """uid, auid, ses, res, then the object of the record type."""
        au, d = self.au, self.d
        if record_type == U.AUDIT_USER_LOGIN:
            # a failed login has no auid yet: the subject is the id (or acct) logging in
            if self.set_prime_subject("id", 0):
                au.first_record()
                if self.set_prime_subject("acct", 0) == 0:
                    self.set_subject_what()
            else:
                self.set_subject_what()
            au.first_record()
        else:
            if self.set_secondary_subject("uid", 0):
                au.first_record()
            self.set_prime_subject("auid", 0)
        self.add_session(0)
        self.collect_simple_subj_attr()
        if (U.AUDIT_FIRST_USER_MSG <= record_type < U.AUDIT_LAST_USER_MSG
                or U.AUDIT_FIRST_USER_MSG2 <= record_type < U.AUDIT_LAST_USER_MSG2):
            self.collect_userspace_subj_attr(record_type)
        if record_type != U.AUDIT_USER_AVC:
            self.set_results(0)
        else:
            au.first_record()
            if au.find_field("seresult"):
                d.results = location(0, au.get_field_num())
            au.first_record()
            self.set_prime_subject("scontext", 0)
            if d.opt == NORM_OPT_ALL:
                au.first_record()
                self.set_prime_object("tcontext", 0)
        action: str | None = None
        if record_type == U.AUDIT_USER_DEVICE:
            au.first_record()
            action = au.find_field("op")
        if action is None:
            action = RECORD_ACTIONS.get(record_type)
        if action:
            d.action = action
        if record_type != U.AUDIT_USER_AVC:
            au.first_record()
            d.thing_primary = self.find_simple_object(record_type)
            d.thing_secondary = self._simple_extra(record_type, _SIMPLE_SECONDARY)
            d.thing_two = self._simple_extra(record_type, _SIMPLE_PRIMARY2)
            if d.opt == NORM_OPT_ALL:  # object attributes, rare on simple events
                if record_type == U.AUDIT_USER_DEVICE:
                    self.add_obj_attr("uuid", 0)
                elif record_type == U.AUDIT_SOFTWARE_UPDATE:
                    au.first_record()
                    self.add_obj_attr("key_enforce", 0)
                    self.add_obj_attr("gpg_res", 0)
        if record_type in (U.AUDIT_SYSTEM_BOOT, U.AUDIT_SYSTEM_SHUTDOWN):
            d.thing_what = "NORM_WHAT_SYSTEM" if record_type == U.AUDIT_SYSTEM_BOOT else "NORM_WHAT_SERVICE"
            self._how_from("exe")
            return 0
        au.first_record()
        if record_type == U.AUDIT_ANOM_EXEC:
            self._how_from("terminal")
            return 0
        if record_type == U.AUDIT_TTY:
            self._how_from("comm")
            return 0
        self._how_from_exe()
        return 0

    def normalize(self, option: int) -> int:
        au = self.au
        au.first_record()  # loads the next event when there is none
        count = au.get_num_records()
        au.first_record()  # reset the cursor: no idea what we are handed
        self.d = self.parser._normalized = Normalization(opt=option)  # clear_normalizer
        rc = self.normalize_compound() if count > 1 else self.normalize_simple()
        au.first_record()
        return rc


_FILE_KINDS = {
    0o100000: "NORM_WHAT_FILE", 0o040000: "NORM_WHAT_DIRECTORY", 0o020000: "NORM_WHAT_CHAR_DEV",
    0o060000: "NORM_WHAT_BLOCK_DEV", 0o010000: "NORM_WHAT_FIFO", 0o120000: "NORM_WHAT_LINK",
    0o140000: "NORM_WHAT_SOCKET",
}
# Record types that decide a syscall event's object kind before its syscall does.
_RECORD_OBJECT_KINDS = {
    U.AUDIT_AVC: "NORM_MAC", U.AUDIT_SELINUX_ERR: "NORM_MAC_ERR", U.AUDIT_NETFILTER_CFG: "NORM_IPTABLES",
    U.AUDIT_ANOM_PROMISCUOUS: "NORM_PROMISCUOUS", U.AUDIT_KERN_MODULE: "NORM_FILE_LDMOD",
    U.AUDIT_MAC_POLICY_LOAD: "NORM_MAC_LOAD", U.AUDIT_MAC_STATUS: "NORM_MAC_ENFORCE",
    U.AUDIT_MAC_CONFIG_CHANGE: "NORM_MAC_CONFIG", U.AUDIT_FANOTIFY: "NORM_AV",
    U.AUDIT_TIME_INJOFFSET: "NORM_SYSTEM_TIME", U.AUDIT_TIME_ADJNTPVAL: "NORM_SYSTEM_TIME",
    U.AUDIT_BPF: "NORM_BPF", U.AUDIT_EVENT_LISTENER: "NORM_EV_LISTEN",
}
# The action each syscall object kind implies (handlers may change it).
_SYSCALL_ACTIONS = {
    "NORM_FILE": "opened-file", "NORM_FILE_CHATTR": "changed-file-attributes-of",
    "NORM_FILE_CHPERM": "changed-file-permissions-of", "NORM_FILE_CHOWN": "changed-file-ownership-of",
    "NORM_FILE_LDMOD": "loaded-kernel-module", "NORM_FILE_UNLDMOD": "unloaded-kernel-module",
    "NORM_FILE_DIR": "created-directory", "NORM_FILE_MOUNT": "mounted", "NORM_FILE_RENAME": "renamed",
    "NORM_FILE_STAT": "checked-metadata-of", "NORM_FILE_SYS_STAT": "checked-filesystem-metadata-of",
    "NORM_FILE_LNK": "symlinked", "NORM_FILE_UMNT": "unmounted", "NORM_FILE_DEL": "deleted",
    "NORM_FILE_TIME": "changed-timestamp-of", "NORM_EXEC": "executed",
    "NORM_SOCKET_ACCEPT": "accepted-connection-from", "NORM_SOCKET_BIND": "bound-socket",
    "NORM_SOCKET_CONN": "connected-to", "NORM_SOCKET_RECV": "received-from", "NORM_SOCKET_SEND": "sent-to",
    "NORM_MAC_ERR": "caused-mac-policy-error", "NORM_IPTABLES": "loaded-firewall-rule-to",
    "NORM_UID": "changed-identity-of", "NORM_GID": "changed-identity-of",
    "NORM_SYSTEM_TIME": "changed-system-time", "NORM_SYSTEM_NAME": "changed-system-name",
    "NORM_SYSTEM_MEMORY": "allocated-memory", "NORM_SCHEDULER": "adjusted-scheduling-policy-of",
}
_AUID_OP_UID_EVENTS = frozenset((U.AUDIT_CONFIG_CHANGE, U.AUDIT_FEATURE_CHANGE, U.AUDIT_SECCOMP,
                                 U.AUDIT_ANOM_ABEND, U.AUDIT_ANOM_PROMISCUOUS))
_SIMPLE_SPECIALS = {
    U.AUDIT_LOGIN: "_login_event", U.AUDIT_NETFILTER_CFG: "_netfilter_cfg_event", U.AUDIT_AVC: "_avc_event",
    U.AUDIT_BPF: "_bpf_event", U.AUDIT_EVENT_LISTENER: "_listener_event",
}
# find_simple_object: record type -> (field, object kind, restart from the first record first)
_ACCOUNT = ("id", "NORM_WHAT_ACCT", False)
_SIMPLE_OBJECTS: dict[int, tuple[str | None, str | None, bool]] = {
    U.AUDIT_SERVICE_START: ("unit", "NORM_WHAT_SERVICE", False),
    U.AUDIT_SERVICE_STOP: ("unit", "NORM_WHAT_SERVICE", False),
    U.AUDIT_SYSTEM_RUNLEVEL: ("new-level", "NORM_WHAT_SYSTEM", False),
    U.AUDIT_USER_ROLE_CHANGE: ("selected-context", "NORM_WHAT_USER_SESSION", False),
    **{rtype: _ACCOUNT for rtype in (U.AUDIT_ROLE_ASSIGN, U.AUDIT_ROLE_REMOVE, U.AUDIT_USER_MGMT,
                                     U.AUDIT_ACCT_LOCK, U.AUDIT_ACCT_UNLOCK, U.AUDIT_ADD_USER, U.AUDIT_DEL_USER,
                                     U.AUDIT_ADD_GROUP, U.AUDIT_DEL_GROUP, U.AUDIT_GRP_MGMT)},
    **{rtype: ("terminal", "NORM_WHAT_USER_SESSION", False)
       for rtype in (U.AUDIT_USER_START, U.AUDIT_USER_END, U.AUDIT_USER_ERR, U.AUDIT_USER_LOGIN,
                     U.AUDIT_USER_LOGOUT)},
    **{rtype: ("acct", "NORM_WHAT_USER_SESSION", False)
       for rtype in (U.AUDIT_USER_AUTH, U.AUDIT_USER_ACCT, U.AUDIT_CRED_ACQ, U.AUDIT_CRED_REFR,
                     U.AUDIT_CRED_DISP, U.AUDIT_USER_CHAUTHTOK, U.AUDIT_GRP_CHAUTHTOK,
                     U.AUDIT_ANOM_LOGIN_FAILURES, U.AUDIT_ANOM_LOGIN_TIME, U.AUDIT_ANOM_LOGIN_SESSIONS,
                     U.AUDIT_ANOM_LOGIN_LOCATION)},
    U.AUDIT_ANOM_EXEC: ("cmd", "NORM_WHAT_PROCESS", False),
    U.AUDIT_USER_CMD: ("cmd", "NORM_WHAT_PROCESS", False),
    U.AUDIT_USER_TTY: ("data", "NORM_WHAT_KEYSTROKES", True),
    U.AUDIT_TTY: ("data", "NORM_WHAT_KEYSTROKES", True),
    U.AUDIT_USER_DEVICE: ("device", "NORM_WHAT_KEYSTROKES", True),
    U.AUDIT_SOFTWARE_UPDATE: ("sw", "NORM_WHAT_SOFTWARE", True),
    U.AUDIT_VIRT_MACHINE_ID: ("vm", "NORM_WHAT_VM", False),
    U.AUDIT_VIRT_RESOURCE: ("resrc", "NORM_WHAT_VM", False),
    U.AUDIT_VIRT_CONTROL: ("op", "NORM_WHAT_VM", False),
    U.AUDIT_LABEL_LEVEL_CHANGE: ("printer", "NORM_WHAT_PRINTER", False),
    U.AUDIT_MAC_CONFIG_CHANGE: ("bool", "NORM_WHAT_MAC_CONFIG", False),
    U.AUDIT_MAC_STATUS: ("enforcing", "NORM_WHAT_MAC_CONFIG", False),
    U.AUDIT_MAC_POLICY_LOAD: (None, "NORM_WHAT_MAC_CONFIG", False),
    U.AUDIT_LABEL_OVERRIDE: (None, "NORM_WHAT_MAC_CONFIG", False),
    **{rtype: (None, "NORM_WHAT_MAC_CONFIG", False)
       for rtype in range(U.AUDIT_DEV_ALLOC, U.AUDIT_USER_MAC_CONFIG_CHANGE + 1)},
    U.AUDIT_USER: ("addr", None, False),
    U.AUDIT_CRYPTO_KEY_USER: ("fp", "NORM_WHAT_USER_SESSION", False),
    U.AUDIT_CRYPTO_SESSION: ("addr", "NORM_WHAT_USER_SESSION", False),
    U.AUDIT_ANOM_RBAC_INTEGRITY_FAIL: ("hostname", "NORM_WHAT_FILESYSTEM", False),
}
_SIMPLE_SECONDARY = {U.AUDIT_CRYPTO_SESSION: "rport", U.AUDIT_SOFTWARE_UPDATE: "sw_type"}
_SIMPLE_PRIMARY2 = {U.AUDIT_VIRT_CONTROL: "vm", U.AUDIT_VIRT_RESOURCE: "vm", U.AUDIT_SOFTWARE_UPDATE: "root_dir"}


def _ranges(*spans: tuple[int, int]) -> list[range]:
    return [range(low, high + 1) for low, high in spans]


# normalize_determine_evkind: record type ranges -> NORM_EVTYPE_*, first match wins (a C switch)
_EVENT_KIND_RANGES: list[tuple[str, list[range]]] = [
    ("NORM_EVTYPE_USER_LOGIN", _ranges((U.AUDIT_USER_AUTH, U.AUDIT_USER_ACCT), (U.AUDIT_CRED_ACQ, U.AUDIT_USER_END),
                                       (U.AUDIT_USER_CHAUTHTOK, U.AUDIT_CRED_REFR),
                                       (U.AUDIT_USER_LOGIN, U.AUDIT_USER_LOGOUT), (U.AUDIT_LOGIN, U.AUDIT_LOGIN))),
    ("NORM_EVTYPE_GROUP_CHANGE", _ranges((U.AUDIT_GRP_AUTH, U.AUDIT_GRP_AUTH), (U.AUDIT_CHGRP_ID, U.AUDIT_CHGRP_ID))),
    ("NORM_EVTYPE_USER_ACCT", _ranges((U.AUDIT_USER_MGMT, U.AUDIT_USER_MGMT), (U.AUDIT_ADD_USER, U.AUDIT_DEL_GROUP),
                                      (U.AUDIT_GRP_MGMT, U.AUDIT_GRP_CHAUTHTOK),
                                      (U.AUDIT_ACCT_LOCK, U.AUDIT_ACCT_UNLOCK))),
    ("NORM_EVTYPE_SYSTEM_SERVICES", _ranges((U.AUDIT_KERNEL, U.AUDIT_KERNEL),
                                            (U.AUDIT_SYSTEM_BOOT, U.AUDIT_SERVICE_STOP))),
    ("NORM_EVTYPE_CONFIG", _ranges(*((t, t) for t in (U.AUDIT_USYS_CONFIG, U.AUDIT_CONFIG_CHANGE, U.AUDIT_NETFILTER_CFG,
                                                      U.AUDIT_FEATURE_CHANGE, U.AUDIT_TIME_INJOFFSET,
                                                      U.AUDIT_TIME_ADJNTPVAL, U.AUDIT_USER_DEVICE,
                                                      U.AUDIT_SOFTWARE_UPDATE)))),
    ("NORM_EVTYPE_DAC_DECISION", _ranges((U.AUDIT_SECCOMP, U.AUDIT_SECCOMP))),
    ("NORM_EVTYPE_USERSPACE", _ranges((U.AUDIT_TEST, U.AUDIT_TRUSTED_APP), (U.AUDIT_USER_CMD, U.AUDIT_USER_CMD),
                                      (U.AUDIT_CHUSER_ID, U.AUDIT_CHUSER_ID))),
    ("NORM_EVTYPE_TTY", _ranges((U.AUDIT_USER_TTY, U.AUDIT_USER_TTY), (U.AUDIT_TTY, U.AUDIT_TTY))),
    ("NORM_EVTYPE_AUDIT_DAEMON", _ranges((U.AUDIT_EVENT_LISTENER, U.AUDIT_EVENT_LISTENER),
                                         (U.AUDIT_FIRST_DAEMON, U.AUDIT_LAST_DAEMON))),
    ("NORM_EVTYPE_MAC_DECISION", _ranges((U.AUDIT_USER_SELINUX_ERR, U.AUDIT_USER_SELINUX_ERR),
                                         (U.AUDIT_USER_AVC, U.AUDIT_USER_AVC),
                                         (U.AUDIT_APPARMOR_ALLOWED, U.AUDIT_APPARMOR_DENIED),
                                         (U.AUDIT_APPARMOR_ERROR, U.AUDIT_APPARMOR_ERROR),
                                         (U.AUDIT_AVC, U.AUDIT_AVC_PATH))),
    ("NORM_EVTYPE_INTEGRITY", _ranges((U.AUDIT_INTEGRITY_FIRST_MSG, U.AUDIT_INTEGRITY_LAST_MSG),
                                      (U.AUDIT_ANOM_RBAC_INTEGRITY_FAIL, U.AUDIT_ANOM_RBAC_INTEGRITY_FAIL))),
    ("NORM_EVTYPE_ANOMALY", _ranges((U.AUDIT_FIRST_KERN_ANOM_MSG, U.AUDIT_LAST_KERN_ANOM_MSG),
                                    (U.AUDIT_FIRST_ANOM_MSG, U.AUDIT_ANOM_RBAC_FAIL),
                                    (U.AUDIT_ANOM_CRYPTO_FAIL, U.AUDIT_LAST_ANOM_MSG))),
    ("NORM_EVTYPE_ANOMALY_RESP", _ranges((U.AUDIT_FIRST_ANOM_RESP, U.AUDIT_LAST_ANOM_RESP))),
    ("NORM_EVTYPE_MAC", _ranges((U.AUDIT_MAC_POLICY_LOAD, U.AUDIT_LAST_SELINUX), (U.AUDIT_AA, U.AUDIT_APPARMOR_AUDIT),
                                (U.AUDIT_APPARMOR_HINT, U.AUDIT_APPARMOR_STATUS),
                                (U.AUDIT_FIRST_USER_LSPP_MSG, U.AUDIT_LAST_USER_LSPP_MSG))),
    ("NORM_EVTYPE_CRYPTO", _ranges((U.AUDIT_FIRST_KERN_CRYPTO_MSG, U.AUDIT_LAST_KERN_CRYPTO_MSG),
                                   (U.AUDIT_FIRST_CRYPTO_MSG, U.AUDIT_LAST_CRYPTO_MSG))),
    ("NORM_EVTYPE_VIRT", _ranges((U.AUDIT_FIRST_VIRT_MSG, U.AUDIT_LAST_VIRT_MSG))),
    ("NORM_EVTYPE_AUDIT_RULE", _ranges((U.AUDIT_SYSCALL, U.AUDIT_SOCKETCALL), (U.AUDIT_SOCKADDR, U.AUDIT_MQ_GETSETATTR),
                                       (U.AUDIT_FD_PAIR, U.AUDIT_OBJ_PID), (U.AUDIT_BPRM_FCAPS, U.AUDIT_NETFILTER_PKT))),
    ("NORM_EVTYPE_AV_DECISION", _ranges((U.AUDIT_FANOTIFY, U.AUDIT_FANOTIFY))),
    ("NORM_EVTYPE_BPF", _ranges((U.AUDIT_BPF, U.AUDIT_BPF))),
]


def event_kind(record_type: int) -> str | None:
    """``normalize_determine_evkind``: the event kind a record type stands for."""
    for kind, spans in _EVENT_KIND_RANGES:
        if any(record_type in span for span in spans):
            return EVENT_KINDS.get(kind)
    return EVENT_KINDS.get("NORM_EVTYPE_UNKNOWN")


# --- the binding's methods -------------------------------------------------------------------


def _data(parser: AuParser) -> Normalization:
    data = parser._normalized
    if data is None:
        data = parser._normalized = Normalization()
    return data


def _seek(parser: AuParser, where: int) -> bool:
    """``seek_field``: move the cursors to a found item; False when there is none."""
    if where >> 16 == 0xFFFF:
        return False
    record, number = where >> 16, where & 0xFFFF
    if not parser.goto_record_num(record) or not _Calls(parser).goto_field_num(number):
        raise ValueError(0, "Error")  # the binding's PyErr_SetFromErrno, errno unset
    return True


def _text(value: str | None, what: str) -> str:
    if value is None:
        raise RuntimeError(f"'{what}' has no value")
    return value


def aup_normalize(self: AuParser, opt: int) -> bool:
    """Normalize the current event; opt is NORM_OPT_ALL or NORM_OPT_NO_ATTRS.

    Returns the binding's answer: False when normalization succeeded (the C
    function returns 0 on success), True when the event could not be.
    """
    from .parser import _require_types

    _require_types((opt, int))
    return _Normalizer(self).normalize(opt) > 0


def aup_normalize_get_event_kind(self: AuParser) -> str:
    """What kind of event this is."""
    return _text(_data(self).evkind, "event_kind")


def aup_normalize_session(self: AuParser) -> bool:
    """Position the cursor on the session field."""
    return _seek(self, _data(self).session)


def aup_normalize_subject_primary(self: AuParser) -> bool:
    """Position the cursor on the subject's field."""
    return _seek(self, _data(self).actor_primary)


def aup_normalize_subject_secondary(self: AuParser) -> bool:
    """Position the cursor on the subject's secondary field."""
    return _seek(self, _data(self).actor_secondary)


def _first_attribute(self: AuParser, attrs: str, cursor: str) -> bool:
    data = _data(self)
    items: list[int] = getattr(data, attrs)
    if not items:
        return False
    setattr(data, cursor, 0)
    return _seek(self, items[0])


def _next_attribute(self: AuParser, attrs: str, cursor: str) -> bool:
    data = _data(self)
    items: list[int] = getattr(data, attrs)
    current = getattr(data, cursor)
    if not items or current < 0:
        return False
    current += 1
    if current >= len(items):
        setattr(data, cursor, -1)  # cllist_next reached NULL
        return False
    setattr(data, cursor, current)
    return _seek(self, items[current])


def aup_normalize_subject_first_attribute(self: AuParser) -> bool:
    """Position the cursor on the subject's first attribute."""
    return _first_attribute(self, "actor_attrs", "actor_cursor")


def aup_normalize_subject_next_attribute(self: AuParser) -> bool:
    """Position the cursor on the subject's next attribute."""
    return _next_attribute(self, "actor_attrs", "actor_cursor")


def aup_normalize_subject_kind(self: AuParser) -> str:
    """What kind of account the subject is."""
    return _text(_data(self).actor_what, "subject_kind")


def aup_normalize_get_action(self: AuParser) -> str:
    """What the subject did."""
    return _text(_data(self).action, "action")


def aup_normalize_object_primary(self: AuParser) -> bool:
    """Position the cursor on the object's field."""
    return _seek(self, _data(self).thing_primary)


def aup_normalize_object_secondary(self: AuParser) -> bool:
    """Position the cursor on the object's secondary field."""
    return _seek(self, _data(self).thing_secondary)


def aup_normalize_object_primary2(self: AuParser) -> bool:
    """Position the cursor on the object's second primary field (not in the 3.0.9 binding)."""
    return _seek(self, _data(self).thing_two)


def aup_normalize_object_first_attribute(self: AuParser) -> bool:
    """Position the cursor on the object's first attribute."""
    return _first_attribute(self, "thing_attrs", "thing_cursor")


def aup_normalize_object_next_attribute(self: AuParser) -> bool:
    """Position the cursor on the object's next attribute."""
    return _next_attribute(self, "thing_attrs", "thing_cursor")


def aup_normalize_object_kind(self: AuParser) -> str:
    """What kind of thing the object is."""
    return _text(OBJECT_KINDS.get(_data(self).thing_what), "object_kind")


def aup_normalize_get_results(self: AuParser) -> bool:
    """Position the cursor on the results field."""
    return _seek(self, _data(self).results)


def aup_normalize_how(self: AuParser) -> str:
    """How the object was accessed (usually a program)."""
    return _text(_data(self).how, "how")


def aup_normalize_key(self: AuParser) -> bool:
    """Position the cursor on the rule key field."""
    return _seek(self, _data(self).key)


METHODS = {name: value for name, value in dict(globals()).items() if name.startswith("aup_normalize")}


def bind(cls: Any) -> None:
    """Give the parser class the binding's ``aup_normalize*`` methods."""
    for name, method in METHODS.items():
        setattr(cls, name, method)


__all__ = ["RECORD_ACTIONS", "OBJECT_KINDS", "Normalization", "bind", "event_kind"]
