"""Single-record events (``normalize_simple``) and the entry point (``auparse_normalize``)."""
from __future__ import annotations

from c2audit.auparse.constants import NORM_OPT_ALL
from c2audit.tables import uapi as U

from .policy import (
    AUID_OP_UID_EVENTS,
    RECORD_ACTIONS,
    SIMPLE_OBJECTS,
    SIMPLE_PRIMARY2,
    SIMPLE_SECONDARY,
    SIMPLE_SPECIALS,
    event_kind,
)
from .state import UNSET, Normalization, location
from .syscalls import SyscallEvents


class Normalizer(SyscallEvents):
    """``auparse_normalize`` on a parser: :meth:`normalize` fills its :class:`Normalization`."""

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
        rule = SIMPLE_OBJECTS.get(record_type)
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

    def _how_from(self, name: str) -> None:
        if self.au.find_field(name):
            self.d.how = self.au.interpret_field()

    def normalize_simple(self) -> int:
        au, d = self.au, self.d
        record_type = au.get_type()
        if record_type == U.AUDIT_SYSCALL:  # some older systems have no PROCTITLE records
            return self.normalize_compound()
        d.evkind = event_kind(record_type)
        if record_type in AUID_OP_UID_EVENTS:
            return self._auid_op_uid_event(record_type)
        special = SIMPLE_SPECIALS.get(record_type)
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
                op = op.removeprefix('"')
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
        if record_type in (U.AUDIT_MAC_MAP_ADD, U.AUDIT_MAC_MAP_DEL) and self.set_prime_object("nlbl_domain", 0):
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
            d.thing_secondary = self._simple_extra(record_type, SIMPLE_SECONDARY)
            d.thing_two = self._simple_extra(record_type, SIMPLE_PRIMARY2)
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
        self.how_from_exe()
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
