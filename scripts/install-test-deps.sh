#!/usr/bin/env bash
# Installs the Debian packages of the test servers when they are missing.
# Needs root (or sudo); never starts or enables the system daemons the packages ship.
set -euo pipefail

# binary -> package that provides it
declare -A NEEDED=(
  [knotd]=knot
  [knotc]=knot
  [slapd]=slapd
  [ldapsearch]=ldap-utils
  [dovecot]=dovecot-imapd
  [tmux]=tmux
  [chromium]=chromium
)

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=()
for binary in "${!NEEDED[@]}"; do
  have "$binary" || missing+=("${NEEDED[$binary]}")
done
# The master-user and passdb helpers of Dovecot live in dovecot-core, pulled in by dovecot-imapd.
if [ ${#missing[@]} -eq 0 ]; then
  echo "test servers: all present"
  exit 0
fi
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "test servers missing (${packages[*]}) and no root or sudo: integration tests will skip" >&2
  echo "(under CI=true they fail instead)" >&2
  exit 0
fi

echo "installing test servers: ${packages[*]}"
# policy-rc.d 101 tells Debian's maintainer scripts not to start the daemons they install.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  made_policy=1
fi
cleanup() {
  if [ "$made_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${packages[@]}"
echo "test servers installed: ${packages[*]}"
