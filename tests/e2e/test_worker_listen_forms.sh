#!/usr/bin/env bash
# The worker's --listen forms and exclusions, black-box with real traffic:
#   1. --listen :P serves IPv4 and IPv6; with two --exclude ('udp port 17701',
#      'icmp') a capture asked over IPv6 (filter 'udp or icmp or tcp',
#      count=10) holds exactly the 10 datagrams to port 17702 (5 over IPv4,
#      5 over IPv6): none of the excluded datagrams and pings sent before them,
#      none of its own stream;
#   2. --listen 10.213.55.1:P1 --listen [::1]:P2 (repeated): both serve, and
#      only there (10.213.55.3:P1 and 127.0.0.1:P2 refuse); a capture through
#      P1 (filter 'tcp or icmp', count=10) holds none of its own stream nor of
#      the /healthz requests on [::1]:P2 before it, but the 2 packets of a
#      connection attempt to port P1 of the other address, 10.213.55.3 (only
#      the listener's own address is excluded), and 8 ping packets.
set -euo pipefail
export E2E_IPV6=1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init
e2e_require_cmd curl
cd "$E2E_TMP"

ns_create a
ns_create b
ns_link a b 10.213.55.1/24 10.213.55.2/24
ip -n "$(ns_name a)" addr add 10.213.55.3/24 dev vb
ip -n "$(ns_name a)" addr add fd00:55::1/64 dev vb nodad
ip -n "$(ns_name b)" addr add fd00:55::2/64 dev va nodad
started() { (( $(grep -c ' capture_start ' "$(log_err "$1")" || true) >= 1 )); }
port_of() { grep -oE "info listening address=\"$2:[0-9]+\"" "$(log_err "$1")" | grep -oE '[0-9]+"$' | tr -d '"' || true; }
count() { tcpdump -nr "$1" 2>/dev/null | grep -c -E "$2" || true; }
refused() {  # NS URL: curl exit 7 (connection refused)
    local rc=0
    ns_exec "$1" curl -s -g --max-time 5 -o /dev/null "$2" || rc=$?
    assert_eq 7 "$rc" "curl exit status for $2 (connection refused)"
}

# --- 1. :P, IPv4 and IPv6; two --exclude ------------------------------------
start_worker a w1 --listen :0 --exclude 'udp port 17701' --exclude icmp
p=$WORKER_PORT
assert_eq ok "$(http_body b "http://10.213.55.1:$p/healthz")" "IPv4 on :$p"
assert_eq ok "$(http_body b "http://[fd00:55::1]:$p/healthz" -g)" "IPv6 on :$p"
ns_spawn b c1 curl -sSN -g --fail -o c1.pcap "http://[fd00:55::1]:$p/capture?filter=udp+or+icmp+or+tcp&count=10"
wait_for 10 started w1 || fail "capture over IPv6 did not start"
udp_send b 10.213.55.1 17701 5 excluded
ns_ping b 10.213.55.1 5 || fail "ping"
udp_send b 10.213.55.1 17702 5 kept4
udp_send b fd00:55::1 17702 5 kept6
wait_exit c1 10 || fail "capture did not end after count=10"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status"
assert_eq 0 "$(pcap_count c1.pcap udp port 17701 or icmp or tcp port "$p")" "excluded packets and the stream's own"
assert_eq 10 "$(pcap_count c1.pcap)" "packets"
assert_eq 5 "$(count c1.pcap '10.213.55.2.[0-9]+ > 10.213.55.1.17702: UDP')" "IPv4 datagrams to 17702"
assert_eq 5 "$(count c1.pcap 'fd00:55::2.[0-9]+ > fd00:55::1.17702: UDP')" "IPv6 datagrams to 17702"
pass ":$p serves IPv4 and IPv6; two --exclude: 10 of 10 kept datagrams, 0 excluded, 0 own"

# --- 2. repeated --listen: a bound IPv4 address and [::1] ---------------------
start_worker a w2 --listen 10.213.55.1:0 --listen '[::1]:0'
p1=$(port_of w2 10.213.55.1)
p2=$(port_of w2 '\[::1\]')
[[ -n "$p1" && -n "$p2" ]] || fail "ports of w2: '$p1' '$p2'"
assert_eq ok "$(http_body b "http://10.213.55.1:$p1/healthz")" "10.213.55.1:$p1"
assert_eq ok "$(http_body a "http://[::1]:$p2/healthz" -g)" "[::1]:$p2"
refused b "http://10.213.55.3:$p1/healthz"
refused b "http://[fd00:55::1]:$p1/healthz"
refused a "http://127.0.0.1:$p2/healthz"
ns_spawn b c2 curl -sSN --fail -o c2.pcap "http://10.213.55.1:$p1/capture?filter=tcp+or+icmp&count=10"
wait_for 10 started w2 || fail "capture through the bound listener did not start"
for _ in 1 2 3; do
    assert_eq ok "$(http_body a "http://[::1]:$p2/healthz" -g)" "[::1]:$p2 during the capture"
done
refused b "http://10.213.55.3:$p1/"   # SYN in, RST out: same port, not the listener's address
ns_ping b 10.213.55.1 4 || fail "ping"
wait_exit c2 5 || fail "capture did not end after count=10"
assert_eq 0 "$E2E_EXIT_STATUS" "curl exit status"
assert_eq 0 "$(pcap_count c2.pcap host 10.213.55.1 and tcp port "$p1")" "the stream's own packets"
assert_eq 0 "$(pcap_count c2.pcap tcp port "$p2")" "packets of the [::1]:$p2 listener"
assert_eq 10 "$(pcap_count c2.pcap)" "packets"
assert_eq 2 "$(pcap_count c2.pcap host 10.213.55.3 and tcp port "$p1")" "packets of 10.213.55.3 port $p1"
assert_eq 8 "$(pcap_count c2.pcap icmp)" "ping packets"
pass "two --listen (10.213.55.1:$p1, [::1]:$p2) serve only there; own traffic 0, port $p1 of another address 2"

for w in w1 w2; do
    stop "$w" TERM 5 0 || fail "worker $w did not stop"
    assert_eq 0 "$E2E_EXIT_STATUS" "worker $w exit status"
done
