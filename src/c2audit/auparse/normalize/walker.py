"""Finding the subject and the object: normalize.c's helpers, on the parser's cursor."""
from __future__ import annotations

import pwd
from typing import TYPE_CHECKING

from c2audit.auparse.constants import NORM_OPT_NO_ATTRS
from c2audit.cnum import strtoul
from c2audit.interpret import FieldType
from c2audit.tables import uapi as U

from .policy import ACCT_MAX_SYS, ACCT_MAX_USER, ACCT_PRIV, ACCT_UNSET, FILE_KINDS, SCRIPT_INTERPRETERS
from .state import Calls, Normalization, location

if TYPE_CHECKING:
    from c2audit.auparse.parser import AuParser


class Walker:
    """One run of ``auparse_normalize``: its state and the helpers every kind of event uses."""

    """One run of ``auparse_normalize`` (normalize.c's static functions as methods)."""

    def __init__(self, parser: AuParser) -> None:
        self.parser = parser
        self.au = Calls(parser)
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
                    kind = FILE_KINDS.get(mode & 0o170000)
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
            if exe.startswith(SCRIPT_INTERPRETERS):
                self._to_script_comm()
            d.thing_primary = location(au.get_record_num(), au.get_field_num())
            return 0
        return 1

    def how_from_exe(self) -> bool:
        """``how``: the program; for an interpreter, the script (comm) it runs.  Whether an exe was found."""
        au, d = self.au, self.d
        if not au.find_field("exe"):
            return False
        d.how = au.interpret_field()
        if d.how is not None and d.how.startswith(SCRIPT_INTERPRETERS) and self._to_script_comm():
            d.how = au.interpret_field()
        return True

    def _to_script_comm(self) -> bool:
        """From an interpreter's ``exe`` field on to the ``comm`` (the script), which should be the field before."""
        au = self.au
        number = au.get_field_num()
        if number > 0:
            au.goto_field_num(number - 1)
        else:
            au.first_record()
        return bool(au.find_field("comm"))
