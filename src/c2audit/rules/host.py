"""The edge that asks the host what auditctl asks it: machine, users, groups, directories.

The compiler is pure; this builds its ``Environment`` from ``uname``, the
passwd and group databases and ``stat``, as auditctl does on the machine that
loads the rules.  Rules naming users or watching paths therefore compile
differently on different hosts, exactly as with auditctl.
"""
from __future__ import annotations

import grp
import os
import pwd

from c2audit.rules.compiler import Environment
from c2audit.tables import uapi


def user_id(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def host_environment(features: int = uapi.AUDIT_FEATURE_BITMAP_ALL) -> Environment:
    """This machine as auditctl sees it; ``features`` is the kernel's feature bitmap when known."""
    return Environment(machine=os.uname().machine, lookup_user=user_id, lookup_group=group_id,
                       is_dir=os.path.isdir, features=features)
