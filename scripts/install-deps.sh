#!/usr/bin/env bash
# Install what the test suite compares against or talks to: Debian's auditd
# (auditctl, ausearch, aureport), python3-audit (libauparse binding), laurel,
# nats-server.  None is needed at run time.  The auditd package must never
# start its service here: a policy-rc.d that exits 101 forbids it for the install.
set -euo pipefail
packages=(auditd python3-audit laurel nats-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; reference tools missing (${missing[*]}): their tests will skip" >&2
  exit 0
fi
policy=/usr/sbin/policy-rc.d
had_policy=0; [ -e "$policy" ] && had_policy=1 && cp -p "$policy" "$policy.c2audit-saved"
printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
trap 'if [ $had_policy -eq 1 ]; then mv -f "$policy.c2audit-saved" "$policy"; else rm -f "$policy"; fi' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Belt and braces: never leave a reference auditd running or registered.
pkill -x auditd 2>/dev/null || true
