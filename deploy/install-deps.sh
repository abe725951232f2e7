#!/usr/bin/env bash
# Installs what ddump needs to build, run and test, from Debian bookworm's
# packages only. Installs nothing when everything is already there.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config clang libclang-rt-14-dev
  libcpp-httplib-dev libpcap-dev libssl-dev nlohmann-json3-dev catch2
  # run and test: real tcpdump/tshark/capinfos, namespaces, nginx, certificates
  tcpdump tshark wireshark-common iproute2 iputils-ping procps psmisc curl openssl
  nginx-light python3 python3-yaml util-linux libcap2-bin systemd dpkg-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo -E apt-get install -y -q --no-install-recommends "${missing[@]}"
