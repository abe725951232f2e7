# shellcheck shell=bash
# Fresh Debian bookworm roots for CI: debootstrap from the Debian mirror this
# machine's apt already uses, a dated cache of the bare root, and a way to run
# a command inside a copy as root with /proc, /sys, /dev and /run mounted.
#
# Every mount is made inside a private mount namespace and every process in a
# private PID namespace (unshare(1)): when the command ends, the kernel
# unmounts everything and kills what is left, also when CI fails or is killed.

CI_CACHE=${CI_CACHE:-/var/cache/ddump-ci}
CI_SUITE=bookworm

# The first Debian mirror (and security mirror) the host's apt lists for the
# suite, in one-line (sources.list(5)) or deb822 (.sources) form.
ci_mirrors() {
  local files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  awk -v suite="$CI_SUITE" '
    function emit(uri, suites,   n, s, i) {
      n = split(suites, s, /[ \t]+/)
      for (i = 1; i <= n; i++) {
        if (s[i] == suite && main == "") main = uri
        if (s[i] == suite "-security" && sec == "") sec = uri
      }
    }
    /^[ \t]*#/ { next }
    /^deb[ \t]/ {
      line = $0; sub(/^deb[ \t]+(\[[^]]*\][ \t]+)?/, "", line)
      split(line, w, /[ \t]+/); emit(w[1], w[2]); next
    }
    /^URIs:/ { uris = $2 }
    /^Suites:/ { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
    /^Types:/ { types = $0 }
    /^[ \t]*$/ { if (types ~ /deb( |$)/ && uris != "") emit(uris, suites); uris = suites = types = "" }
    END { if (types ~ /deb( |$)/ && uris != "") emit(uris, suites); print main; print sec }
  ' "${files[@]}"
}

# Writes the bare root (minbase plus sudo, which the README's commands use)
# to $CI_CACHE/base-DATE once a day; prints its path.
ci_base_root() {
  local mirrors mirror security base
  mapfile -t mirrors < <(ci_mirrors)
  mirror=${mirrors[0]:-http://deb.debian.org/debian}
  security=${mirrors[1]:-}
  base=$CI_CACHE/base-$CI_SUITE-$(date -u +%Y%m%d)
  if [ ! -f "$base/.complete" ]; then
    rm -rf --one-file-system "$CI_CACHE"/base-* 
    mkdir -p "$CI_CACHE"
    echo "ci: debootstrap $CI_SUITE from $mirror" >&2
    debootstrap --variant=minbase --include=sudo "$CI_SUITE" "$base" "$mirror" >"$CI_CACHE/debootstrap.log" 2>&1 ||
      { tail -20 "$CI_CACHE/debootstrap.log" >&2; echo "ci: debootstrap failed" >&2; return 1; }
    {
      echo "deb $mirror $CI_SUITE main"
      echo "deb $mirror $CI_SUITE-updates main"
      [ -z "$security" ] || echo "deb $security $CI_SUITE-security main"
    } >"$base/etc/apt/sources.list"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$base/etc/hosts"
    echo ddump-ci >"$base/etc/hostname"
    rm -rf "$base/var/cache/apt/archives/"*.deb "$base/var/lib/apt/lists/"*
    touch "$base/.complete"
  fi
  echo "$base"
}

# ci_new_root NAME: a fresh copy of the bare root; prints its path.
ci_new_root() {
  local base root
  base=$(ci_base_root) || return 1
  root=$CI_WORK/$1
  cp -a "$base" "$root"
  rm -f "$root/.complete"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  echo "$root"
}

# ci_in_root ROOT COMMAND...: runs COMMAND as root inside ROOT, with a clean
# environment. Downloaded .debs are kept in one cache shared by all roots
# (a cache of archives, nothing installed), so each root downloads once.
ci_in_root() {
  local root=$1
  shift
  mkdir -p "$CI_CACHE/archives/partial"
  unshare --mount --propagation private --pid --fork --kill-child -- bash -euc '
    root=$1; archives=$2; shift 2
    # The root is a mount point, as / is on a booted machine: unshare -m and
    # ip netns exec change its propagation, which fails on a plain directory.
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mkdir -m 1777 "$root/run/lock"  # as systemd-tmpfiles makes it at boot
    mount --bind "$archives" "$root/var/cache/apt/archives"
    # Not exec: this shell stays PID 1 of the namespace and reaps orphans
    # (a daemon that forked away), so their PIDs do not linger as zombies.
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" &
    wait $!
  ' ci "$root" "$CI_CACHE/archives" "$@"
}

# ci_remove_root ROOT: deletes a root, refusing if anything is still mounted
# below it (a bind mount of /dev or /sys would be deleted through).
ci_remove_root() {
  local root=$1
  [ -d "$root" ] || return 0
  if awk -v r="$root/" 'index($5 "/", r) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "ci: $root still has mounts; not removed" >&2
    return 1
  fi
  rm -rf --one-file-system "$root"
}
