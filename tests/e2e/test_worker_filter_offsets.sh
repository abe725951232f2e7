#!/usr/bin/env bash
# No filter can escape the worker's self-exclusion by shifting offsets.
#
# libpcap 1.10's gencode.c changes the offsets of every test compiled after
# these keywords: vlan (off_linkpl/off_linktype += 4, or a variable VLAN
# offset with the kernel's VLAN extensions), mpls (off_nl += 4), pppoes (a
# PPP link header pushed after the session header), geneve (variable offsets
# into the encapsulated frame) and lane (an Ethernet header inside ATM LANE;
# raw ATM only). With the exclusions compiled after the user's filter,
# `KW or len >= 0` (and `len >= 0 or KW`) captured the worker's own stream.
# The attack is the test: each capture runs with the attack filter while
# pings flow, and must contain the pings and zero packets of any of the
# worker's ports. On `any` (sll, sll2, native = sll) and on a named
# interface (native EN10MB; vlan and mpls exist only there), through an
# IPv4-bound, an IPv6-bound and a wildcard listener. lane has no link type
# here: its 400 is asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/worker_lib.sh"
export E2E_IPV6=1
e2e_init

ns_create a
ns_create b
ns_link a b 10.213.31.1/24 10.213.31.2/24
ip -n "$(ns_name a)" addr add fd00:213:31::1/64 dev vb nodad
ip -n "$(ns_name b)" addr add fd00:213:31::2/64 dev va nodad
start_worker a worker --listen 10.213.31.1:0 --listen '[fd00:213:31::1]:0' --listen :0 \
    -B 1024 --max-captures 64
mapfile -t ports < <(grep -E 'info listening address=' "$(log_err worker)" |
    sed -E 's/.*address="[^"]*:([0-9]+)".*/\1/')
assert_eq 3 "${#ports[@]}" "three listeners"
P4=${ports[0]} P6=${ports[1]} PW=${ports[2]}
own="tcp port $P4 or tcp port $P6 or tcp port $PW"
declare -A base=([v4]="http://10.213.31.1:$P4" [v6]="http://[fd00:213:31::1]:$P6"
                 [wild]="http://10.213.31.1:$PW")

ns_ping b 10.213.31.1 3 || fail "no ping reply"
ns_spawn b pinger ping -n -q -i 0.02 -w 300 10.213.31.1

# expected KW IFACE LINKTYPE: "200", or the 400's exact error.
expected() {
    local kw=$1 iface=$2 lt=$3 cooked=v1
    [[ $lt == sll2 ]] && cooked=v2
    case "$kw:$iface" in
        lane:*) echo "bad filter: 'lane' supported only on raw ATM" ;;
        vlan:any) echo "bad filter: no VLAN support for Linux cooked $cooked" ;;
        mpls:any) echo "bad filter: no MPLS support for Linux cooked $cooked" ;;
        *) echo 200 ;;
    esac
}

combos=("any sll" "any sll2" "any native" "vb native")
captured=0
for kw in vlan mpls pppoes geneve lane; do
    names=()
    for form in "$kw or len >= 0" "len >= 0 or $kw"; do
        for combo in "${combos[@]}"; do
            read -r iface lt <<<"$combo"
            for listener in v4 v6 wild; do
                name=c$(( ${#names[@]} ))_$kw
                names+=("$name")
                echo "$form|$iface|$lt|$listener" >"$E2E_TMP/$name.case"
                ns_spawn b "$name" curl -sg -G -o "$E2E_TMP/$name.body" -w '%{http_code}' \
                    --max-time 20 "${base[$listener]}/capture" --data-urlencode "filter=$form" \
                    --data-urlencode "interface=$iface" --data-urlencode "linktype=$lt" \
                    --data-urlencode duration=1.5
            done
        done
    done
    for name in "${names[@]}"; do
        wait_exit "$name" 30 || fail "$name: the capture did not end"
        IFS='|' read -r form iface lt listener <"$E2E_TMP/$name.case"
        what="[$form] on $iface/$lt via the $listener listener"
        code=$(cat "$(log_out "$name")")
        want=$(expected "$kw" "$iface" "$lt")
        if [[ $want != 200 ]]; then
            assert_eq 400 "$code" "$what: status"
            assert_eq "{\"error\":\"$want\"}" "$(cat "$E2E_TMP/$name.body")" "$what: error"
            continue
        fi
        assert_eq 200 "$code" "$what: status"
        f=$E2E_TMP/$name.body
        assert_ge "$(pcap_count "$f" icmp)" 20 "$what: the pings"
        assert_eq 0 "$(pcap_count "$f" "$own")" "$what: packets of the worker's own ports"
        captured=$((captured + 1))
    done
    note "$kw: ${#names[@]} attacks, none saw the worker's own traffic"
done
assert_eq 60 "$captured" "captures that ran"

# The effective filter the worker reports puts its exclusions first.
hdr=$(ns_exec b curl -s -G -D - -o /dev/null --max-time 5 "${base[v4]}/capture" \
    --data-urlencode "filter=pppoes or len >= 0" --data-urlencode count=1 | tr -d '\r' |
    grep -i '^X-Ddump-Filter:')
assert_eq "X-Ddump-Filter: not ((host 10.213.31.1 and tcp port $P4) or (host fd00:213:31::1 and tcp port $P6) or (tcp port $PW)) and (pppoes or len >= 0)" \
    "$hdr" "effective filter"
stop pinger INT

pass "offset-changing keywords: 60 captures with the attack filters, 0 packets of the worker's ports"
