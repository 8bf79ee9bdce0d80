"""Normalization policy: what record types and syscalls mean, as data and tables.

The record actions and object kinds are ``normalize.yaml`` (from libauparse
3.0.9's ``normalize_record_map.h`` and ``normalize_obj_kind_map.h``); the
syscall classes and event kinds are the generated ``normalize_syscall_map``
and ``normalize_evtypetab``; the rest are the case lists of ``normalize.c``'s
switches, as tables.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from c2audit.tables import uapi as U
from c2audit.tables.auparse import normalize_evtypetab, normalize_syscall_map

_POLICY = yaml.safe_load((Path(__file__).parent.parent / "normalize.yaml").read_text())
# by libaudit.h's AUDIT_<name> (msg_typetab lacks a few daemon types, e.g. DAEMON_RECONFIG)
RECORD_ACTIONS: dict[int, str] = {
    getattr(U, f"AUDIT_{name}"): action for name, action in _POLICY["record_actions"].items()
}
OBJECT_KINDS: dict[str, str] = dict(_POLICY["object_kinds"])
SYSCALL_KINDS: dict[str, str] = {}
for _kind, _syscall in normalize_syscall_map.ENTRIES:
    SYSCALL_KINDS.setdefault(_syscall, str(_kind))
EVENT_KINDS: dict[str, str] = {str(key): name for key, name in normalize_evtypetab.ENTRIES}

ACCT_PRIV, ACCT_UNSET, ACCT_MAX_SYS, ACCT_MAX_USER = 0, 4294967295, 1000, 60000
SCRIPT_INTERPRETERS = ("/usr/bin/python", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/perl")



FILE_KINDS = {
    0o100000: "NORM_WHAT_FILE", 0o040000: "NORM_WHAT_DIRECTORY", 0o020000: "NORM_WHAT_CHAR_DEV",
    0o060000: "NORM_WHAT_BLOCK_DEV", 0o010000: "NORM_WHAT_FIFO", 0o120000: "NORM_WHAT_LINK",
    0o140000: "NORM_WHAT_SOCKET",
}
# Record types that decide a syscall event's object kind before its syscall does.
RECORD_OBJECT_KINDS = {
    U.AUDIT_AVC: "NORM_MAC", U.AUDIT_SELINUX_ERR: "NORM_MAC_ERR", U.AUDIT_NETFILTER_CFG: "NORM_IPTABLES",
    U.AUDIT_ANOM_PROMISCUOUS: "NORM_PROMISCUOUS", U.AUDIT_KERN_MODULE: "NORM_FILE_LDMOD",
    U.AUDIT_MAC_POLICY_LOAD: "NORM_MAC_LOAD", U.AUDIT_MAC_STATUS: "NORM_MAC_ENFORCE",
    U.AUDIT_MAC_CONFIG_CHANGE: "NORM_MAC_CONFIG", U.AUDIT_FANOTIFY: "NORM_AV",
    U.AUDIT_TIME_INJOFFSET: "NORM_SYSTEM_TIME", U.AUDIT_TIME_ADJNTPVAL: "NORM_SYSTEM_TIME",
    U.AUDIT_BPF: "NORM_BPF", U.AUDIT_EVENT_LISTENER: "NORM_EV_LISTEN",
}
# The action each syscall object kind implies (handlers may change it).
SYSCALL_ACTIONS = {
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
AUID_OP_UID_EVENTS = frozenset((U.AUDIT_CONFIG_CHANGE, U.AUDIT_FEATURE_CHANGE, U.AUDIT_SECCOMP,
                                 U.AUDIT_ANOM_ABEND, U.AUDIT_ANOM_PROMISCUOUS))
SIMPLE_SPECIALS = {
    U.AUDIT_LOGIN: "_login_event", U.AUDIT_NETFILTER_CFG: "_netfilter_cfg_event", U.AUDIT_AVC: "_avc_event",
    U.AUDIT_BPF: "_bpf_event", U.AUDIT_EVENT_LISTENER: "_listener_event",
}
# find_simple_object: record type -> (field, object kind, restart from the first record first)
_ACCOUNT = ("id", "NORM_WHAT_ACCT", False)
SIMPLE_OBJECTS: dict[int, tuple[str | None, str | None, bool]] = {
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
SIMPLE_SECONDARY = {U.AUDIT_CRYPTO_SESSION: "rport", U.AUDIT_SOFTWARE_UPDATE: "sw_type"}
SIMPLE_PRIMARY2 = {U.AUDIT_VIRT_CONTROL: "vm", U.AUDIT_VIRT_RESOURCE: "vm", U.AUDIT_SOFTWARE_UPDATE: "root_dir"}


def _ranges(*spans: tuple[int, int]) -> list[range]:
    return [range(low, high + 1) for low, high in spans]


# normalize_determine_evkind: record type ranges -> NORM_EVTYPE_*, first match wins (a C switch)
EVENT_KIND_RANGES: list[tuple[str, list[range]]] = [
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
    for kind, spans in EVENT_KIND_RANGES:
        if any(record_type in span for span in spans):
            return EVENT_KINDS.get(kind)
    return EVENT_KINDS.get("NORM_EVTYPE_UNKNOWN")
