"""Events with a SYSCALL record: normalize.c's ``normalize_compound`` and ``normalize_syscall``."""
from __future__ import annotations

from c2audit.tables import uapi as U

from .policy import (
    RECORD_ACTIONS,
    RECORD_OBJECT_KINDS,
    SYSCALL_ACTIONS,
    SYSCALL_KINDS,
    event_kind,
)
from .state import location
from .walker import Walker


class SyscallEvents(Walker):
    """The syscall part of the normalizer: one handler per syscall class (``NORM_*``)."""

    # --- syscall events -----------------------------------------------------------------

    def normalize_syscall(self, syscall: str | None) -> None:
        au, d = self.au, self.d
        objtype, tmp_objkind, record_type = "NORM_UNKNOWN", "NORM_UNKNOWN", 0
        rc = au.first_record()
        while rc == 1:
            record_type = au.get_type()
            marker = RECORD_OBJECT_KINDS.get(record_type)
            if marker is not None:
                if marker in ("NORM_MAC", "NORM_AV"):
                    tmp_objkind = marker  # go ahead with the syscall to get objects
                else:
                    objtype = marker
                break
            rc = au.next_record()
        if objtype == "NORM_UNKNOWN" and syscall is not None:
            objtype = SYSCALL_KINDS.get(syscall, objtype)
        act = SYSCALL_ACTIONS.get(objtype)
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
        self._file_with_other_name(4)
        return act

    def _norm_file_stat(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILE", 0)
        return act

    def _norm_file_sys_stat(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_object("NORM_WHAT_FILESYSTEM", 0)
        return act

    def _norm_file_lnk(self, syscall: str, rtype: int, act: str | None) -> str | None:
        self._file_with_other_name(0)
        return act

    def _file_with_other_name(self, adjust: int) -> None:
        """rename and link: the file, and its other name as second thing (``set_prime_object2``'s ``adjust``)."""
        self.d.thing_what = "NORM_WHAT_FILE"
        self.set_prime_object2("name", adjust)
        self.set_file_object(2)
        self.simple_file_attr()

    _norm_file_umnt = _norm_file_sys_stat
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
        if not self.how_from_exe() and not self._back_to(recno):
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
