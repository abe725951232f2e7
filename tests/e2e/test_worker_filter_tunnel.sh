#!/usr/bin/env bash
# A client that reaches the worker through a VXLAN tunnel: the exclusion of
# the worker's TCP port cannot see the stream inside the tunnel's UDP
# datagrams on the underlay. That is the documented behaviour (README, "Own
# traffic"): without --exclude the worker warns at start-up
# (tunnel_not_excluded, naming the interface and its port) and a capture
# through the tunnel contains its own stream; with --exclude 'udp port 4789'
# there is no warning and the capture holds the pings and none of its stream.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd tshark

ns_create a
ns_create b
ns_link a b 10.213.41.1/24 10.213.41.2/24
vxlan() {  # NS UNDERLAY_DEV LOCAL REMOTE OVERLAY_ADDR/PFX
    local n
    n=$(ns_name "$1")
    ip -n "$n" link add vx0 type vxlan id 42 dstport 4789 dev "$2" local "$3" remote "$4" ||
        fail "cannot create a VXLAN interface in $1"
    ip -n "$n" addr add "$5" dev vx0
    ip -n "$n" link set vx0 up
}
vxlan a "$(ns_ifname a b)" 10.213.41.1 10.213.41.2 10.213.42.1/24
vxlan b "$(ns_ifname b a)" 10.213.41.2 10.213.41.1 10.213.42.2/24
ns_ping b 10.213.42.1 3 || fail "no ping reply through the tunnel"
ns_spawn b pinger ping -n -q -i 0.02 -w 120 10.213.42.1

warnings() { grep -c 'tunnel_not_excluded' "$(log_err "$1")" || true; }

# capture NAME: 1.5 s through the tunnel; prints "<own stream> <pings> <udp 4789>".
capture() {
    local f=$E2E_TMP/$1.pcap
    ns_exec b curl -s -o "$f" --max-time 10 \
        "http://10.213.42.1:$WORKER_PORT/capture?duration=1.5&count=2000" || true
    # tshark decodes UDP 4789 as VXLAN: tcp.port matches the stream inside it too.
    local own
    own=$(timeout 60 tshark -r "$f" -Y "tcp.port == $WORKER_PORT" 2>/dev/null | wc -l)
    echo "$own $(pcap_count "$f" icmp) $(pcap_count "$f" udp port 4789)"
}

# Without --exclude: one warning, and the capture contains its own stream.
start_worker a plain
assert_eq 1 "$(warnings plain)" "tunnel_not_excluded lines"
line=$(grep 'tunnel_not_excluded' "$(log_err plain)")
assert_contains "$line" 'warn tunnel_not_excluded interface="vx0" type="vxlan" port=4789' "warning"
assert_contains "$line" "start the worker with --exclude 'udp port 4789'" "the warning names the fix"
read -r own pings udp <<<"$(capture plain)"
note "without --exclude: $own packets of its own stream, $pings pings, $udp VXLAN datagrams"
assert_ge "$own" 1 "without --exclude the capture holds its own stream (documented)"
assert_ge "$udp" 1 "VXLAN datagrams captured"
stop plain TERM

# An --exclude of another port does not silence the warning.
start_worker a other --exclude 'udp port 8472'
assert_eq 1 "$(warnings other)" "tunnel_not_excluded with another port excluded"
stop other TERM

# With --exclude 'udp port 4789': no warning, no packet of its own stream.
start_worker a excluded --exclude 'udp port 4789'
assert_eq 0 "$(warnings excluded)" "tunnel_not_excluded lines with --exclude"
read -r own pings udp <<<"$(capture excluded)"
note "with --exclude: $own packets of its own stream, $pings pings, $udp VXLAN datagrams"
assert_eq 0 "$own" "packets of its own stream with --exclude 'udp port 4789'"
assert_eq 0 "$udp" "VXLAN datagrams with --exclude 'udp port 4789'"
assert_ge "$pings" 20 "the pings through the tunnel"

# A range that covers the port counts as mentioning it.
start_worker a ranged --exclude 'udp portrange 4700-4800'
assert_eq 0 "$(warnings ranged)" "tunnel_not_excluded lines with a covering portrange"
stop pinger INT

pass "VXLAN: warned and self-captured without --exclude; silent and clean with it"
