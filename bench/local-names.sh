#!/bin/sh
# Run COMMAND with every name lookup answered from local files only.
#
#   bench/local-names.sh [--etc DIR] COMMAND [ARG...]
#
# ausearch and libauparse ask NSS for user, group and protocol names; with the
# distribution's nsswitch.conf ("passwd: files systemd") an id missing from
# /etc/passwd goes on to systemd's user database, which costs milliseconds per
# lookup and depends on the machine.  This script runs COMMAND in a private
# mount namespace (unshare -m: nothing changes outside it) where a files-only
# nsswitch.conf is bind-mounted over /etc/nsswitch.conf, and, with --etc DIR,
# DIR's passwd, group and protocols over /etc's.  c2audit's own lookups use the
# same NSS, so both sides see the same names.  Needs root (CAP_SYS_ADMIN).
set -eu
etc=
if [ "${1:-}" = "--etc" ]; then
    etc=$2
    shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [--etc DIR] COMMAND [ARG...]" >&2; exit 2; }
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
printf '%s:\tfiles\n' passwd group shadow hosts networks protocols services > "$conf"
unshare --mount --propagation private sh -c '
    set -e
    conf=$1 etc=$2
    shift 2
    mount --bind "$conf" /etc/nsswitch.conf
    if [ -n "$etc" ]; then
        for name in passwd group protocols; do
            [ ! -f "$etc/$name" ] || mount --bind "$etc/$name" "/etc/$name"
        done
    fi
    exec "$@"
' local-names "$conf" "$etc" "$@"
