#!/usr/bin/env bash
# Installs what ddump needs to build, run and test, from Debian bookworm's
# packages only. Installs nothing when everything is already there. Runs as
# root, or as a user who may use sudo; anything else is one error line.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config clang libclang-rt-14-dev
  libcpp-httplib-dev libpcap-dev libssl-dev nlohmann-json3-dev catch2
  # compressed capture files: zlib (gzip) and libzstd, with the zstd tool
  # that makes the tests' .zst files (gzip is in every Debian root)
  zlib1g-dev libzstd-dev zstd
  # run and test: real tcpdump/tshark/capinfos, namespaces, nginx, certificates,
  # adduser (the package's postinst makes the proxy's user with it)
  tcpdump tshark wireshark-common iproute2 iputils-ping procps psmisc curl openssl
  nginx-light python3 python3-yaml util-linux libcap2-bin systemd dpkg-dev adduser
  # /etc/services and /etc/protocols, which libpcap reads for `port http` and
  # `proto \udp` in filters (only recommended by perl, so missing from a
  # minimal root); dnsmasq: a real DNS server that logs every query, which
  # proves the worker resolves no names in filters (test_worker_filter_names.sh)
  # and serves the names of dns: targets (fleet_lib.sh);
  # jq: the e2e tests read /stats as a user's script would; sqlite3 and
  # bsdutils (script(1), a terminal for ddump): the README's -T ndjson and
  # terminal examples, run as written
  netbase dnsmasq-base jq sqlite3 bsdutils
  # the container images (test_deploy_container.sh): podman builds
  # deploy/Dockerfile (podman build --isolation chroot needs no daemon and no
  # cgroups); debootstrap makes the bare bookworm root they are built on,
  # from the Debian mirror, when .ci/run has left none (python3-yaml above
  # reads the manifests)
  podman debootstrap
)
# kubectl: test_deploy_files.sh renders deploy/kubernetes/ with `kubectl
# kustomize`, test_deploy_container.sh makes the README's Secret with it, and
# the k8s: target tests run it against tests/e2e/k8s_api.py (fleet_lib.sh).
# Any kubectl already installed will do: dpkg would refuse to replace another
# package's /usr/bin/kubectl with Debian's.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# apt-get must run as root. sudo's -E would need the sudoers setenv right, so
# the environment apt needs is passed through env(1) instead.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps.sh: missing packages (${missing[*]}) and not root, and sudo is not installed: run this as root" >&2
    exit 1
  fi
  as_root=(sudo)
fi
echo "installing: ${missing[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
