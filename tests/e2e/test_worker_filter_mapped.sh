#!/usr/bin/env bash
# A listener bound to an IPv4-mapped address (--listen [::ffff:127.0.0.1]:P)
# takes IPv4 connections, whose packets are IPv4 on the wire: its exclusion
# must be `host 127.0.0.1 and tcp port P` (`host ::ffff:127.0.0.1` tests
# IPv6 headers only and let every capture see its own stream).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
e2e_init

ns_create a
start_worker a worker --listen '[::ffff:127.0.0.1]:0' -B 1024
listening=$(grep -m1 'info listening address=' "$(log_err worker)")
assert_contains "$listening" "address=\"[::ffff:127.0.0.1]:$WORKER_PORT\"" "the mapped listener"
assert_contains "$listening" "exclude=\"(host 127.0.0.1 and tcp port $WORKER_PORT)\"" \
    "its exclusion names the IPv4 address"

ns_spawn a pinger ping -n -q -i 0.02 -w 60 127.0.0.1
for iface in lo any; do
    f=$E2E_TMP/$iface.pcap
    ns_exec a curl -s -o "$f" --max-time 10 \
        "http://127.0.0.1:$WORKER_PORT/capture?interface=$iface&duration=1.5" ||
        fail "capture on $iface"
    own=$(pcap_count "$f" tcp port "$WORKER_PORT")
    pings=$(pcap_count "$f" icmp)
    note "$iface: $pings ICMP packets, $own of the worker's port"
    assert_ge "$pings" 20 "$iface: the pings"
    assert_eq 0 "$own" "$iface: packets of the worker's own port"
done
stop pinger INT

pass "IPv4-mapped listener: excluded as 127.0.0.1, 0 packets of its own stream on lo and any"
