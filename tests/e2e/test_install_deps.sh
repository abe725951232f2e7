#!/usr/bin/env bash
# deploy/install-deps.sh, the first step of both README commands, run against
# stand-ins for dpkg-query, apt-get and sudo on a PATH that holds nothing else:
# as root it runs apt-get itself; as a user it goes through sudo, passing apt's
# environment without sudo -E; without either it stops with one line; with
# every package present it installs nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init
command -v setpriv >/dev/null || fail "setpriv (util-linux) is required"

bin=$E2E_TMP/bin
calls=$E2E_TMP/calls
mkdir -p "$bin"
chmod 755 "$E2E_TMP"
# A copy the user nobody can read (the checkout may be under /root).
script=$E2E_TMP/install-deps.sh
install -m 0755 "$DDUMP_SRC_DIR/deploy/install-deps.sh" "$script"
for tool in env grep id cat; do ln -s "$(command -v "$tool")" "$bin/$tool"; done
# dpkg-query: the package named in $INSTALLED is installed, every other one not.
cat >"$bin/dpkg-query" <<'STUB'
#!/bin/bash
[ "${INSTALLED:-}" = all ] || [ "${!#}" = "${INSTALLED:-}" ] && printf 'install ok installed'
exit 0
STUB
cat >"$bin/apt-get" <<'STUB'
#!/bin/bash
echo "apt-get uid=$(id -u) DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-} $*" >>"$CALLS"
STUB
cat >"$bin/sudo.stub" <<'STUB'
#!/bin/bash
echo "sudo $*" >>"$CALLS"
exec "$@"
STUB
chmod 755 "$bin"/*

run_deps() {  # run_deps ENV... -- COMMAND PREFIX: exit status in $rc, stderr in $err
  rm -f "$calls"; touch "$calls"; chmod 666 "$calls"
  rc=0
  err=$(env -i PATH="$bin" CALLS="$calls" "$@" /bin/bash "$script" 2>&1 >/dev/null) || rc=$?
}
as_user=("$(command -v setpriv)" --reuid=nobody --regid=nogroup --clear-groups)

# --- as root: apt-get directly, never sudo --------------------------------------
run_deps INSTALLED=cmake
assert_eq 0 "$rc" "as root: exit status"
assert_eq 2 "$(grep -c '^apt-get uid=0 DEBIAN_FRONTEND=noninteractive' "$calls")" "as root: apt-get update and install, noninteractive"
assert_contains "$(cat "$calls")" "install -y -q --no-install-recommends g++ make" "as root: the missing packages"
assert_not_contains "$(cat "$calls")" " cmake " "as root: an installed package is not asked for"
assert_not_contains "$(cat "$calls")" "sudo" "as root: no sudo"

# --- as a user with sudo -----------------------------------------------------------
ln -s sudo.stub "$bin/sudo"
run_deps "${as_user[@]}"
assert_eq 0 "$rc" "with sudo: exit status"
assert_eq 2 "$(grep -c '^sudo env DEBIAN_FRONTEND=noninteractive apt-get' "$calls")" "with sudo: both apt-get calls through sudo env"
assert_not_contains "$(cat "$calls")" "sudo -E" "with sudo: no -E"

# --- as a user without sudo: one line, non-zero, nothing run -------------------------
rm "$bin/sudo"
run_deps "${as_user[@]}"
assert_eq 1 "$rc" "without sudo: exit status"
assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "without sudo: one line"
assert_contains "$err" "not root, and sudo is not installed" "without sudo: says why"
assert_eq 0 "$(wc -l <"$calls")" "without sudo: apt-get never run"

# --- everything installed: nothing to do, even without root or sudo ------------------
run_deps INSTALLED=all "${as_user[@]}"
assert_eq 0 "$rc" "all installed: exit status"
assert_eq "" "$err" "all installed: silent"
assert_eq 0 "$(wc -l <"$calls")" "all installed: apt-get never run"

pass "install-deps.sh: root, sudo, neither, nothing to do"
