#!/usr/bin/env bash
# Hostile targets at scale: one ddump run against 200 targets served by one
# python process (hostile_fleet.py) on loopback ports in a namespace. 150
# honest targets send 20 packets each, in every framing a worker or a proxy
# may use (chunked per packet or in one-byte chunks, chunk extensions and
# trailers, Content-Length, HTTP/1.0 until close, 100 Continue first,
# big-endian, nanosecond, pcapng, TLS, slow, quiet for longer than the header
# deadline), then end cleanly. 50 break one rule each: a pcap field, the
# HTTP/1.1 framing, silence, a reset (RST), one byte a second, TLS garbage.
# The run must end by itself with exit status 1, exactly one stderr line per
# hostile target naming it and what was wrong (none for an honest one), a pcap
# that tcpdump and capinfos read holding every packet of every honest target
# once and exactly the whole records each hostile one sent before its fault,
# within a bounded time and a bounded peak RSS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd openssl
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

# Certificates (P-256 keys: quick to make): our root, the fleet's server leaf
# (127.0.0.1), a leaf of our root for another name, a self-signed one.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout root.key -out root.crt -days 2 \
    -subj "/CN=fleet root" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
leaf() {  # NAME SAN
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA root.crt -CAkey root.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
leaf server "IP:127.0.0.1"
leaf wrongname "DNS:elsewhere.example"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout selfsigned.key -out selfsigned.crt -days 2 \
    -subj "/CN=selfsigned" -addext subjectAltName=IP:127.0.0.1 2>/dev/null

ns_create fleet
ns_spawn fleet fleet "$E2E_PYTHON" "$DDUMP_SRC_DIR/tests/e2e/hostile_fleet.py" serve "$E2E_TMP/manifest" "$E2E_TMP"
wait_for 30 test -s manifest || fail "the fleet did not start: $(cat "$(log_err fleet)")"

urls=() kinds=() roles=() ids=() wholes=()
while read -r url role id whole; do
    urls+=("$url")
    roles+=("$role")
    ids+=("$id")
    wholes+=("$whole")
    kinds+=("${url##*/}")
done <manifest
assert_eq 200 "${#urls[@]}" "targets served"

# run_ddump OUT ERR ARGS...: ddump with ARGS in the fleet's namespace, bounded
# by timeout; prints "STATUS WALL_MS PEAK_RSS_KIB" (getrusage of the waited-for
# children: timeout and the ddump it waits for).
run_ddump() {
    local out=$1 err=$2
    shift 2
    ns_exec fleet "$E2E_PYTHON" - "$out" "$err" timeout -k 5 90 "$DDUMP" "$@" <<'PY'
import resource, subprocess, sys, time
out, err = sys.argv[1], sys.argv[2]
start = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e, open("/dev/null", "rb") as i:
    rc = subprocess.run(sys.argv[3:], stdin=i, stdout=o, stderr=e).returncode
wall_ms = int((time.monotonic() - start) * 1000)
print(rc, wall_ms, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

# What each hostile target's one line says after "ddump: URL: " ({A}: its
# 127.0.0.1:PORT).
declare -A want=(
    # a hostile pcap
    [huge-caplen]="caplen 2147483647 exceeds limit 262144 in record 4 at stream offset 234"
    [caplen-over-snaplen]="caplen 200 exceeds snaplen 96 in record 3 at stream offset 164"
    [caplen-over-len]="caplen 60 exceeds len 40 in record 3 at stream offset 164"
    [truncated-record]="truncated record 3: stream ended after 30 of 60 bytes"
    [truncated-record-cut]="connection lost mid-stream: connection closed before the chunked body ended"
    [truncated-record-header]="truncated record 3: stream ended after 10 of 16 record-header bytes"
    [other-link-type]="link type EN10MB cannot be merged into LINUX_SLL output"
    [garbage-after-header]="caplen 3288147405 exceeds limit 262144 in record 1 at stream offset 24"
    [bad-magic]="not a pcap stream: bad magic 0x3c68746d"
    [bad-version]="unsupported pcap version 3.0"
    [short-global-header]="stream ended before the pcap global header was complete (10 of 24 bytes)"
    [empty-body]="stream ended before the pcap global header was complete (0 of 24 bytes)"
    [pcapng-bad-block]="pcapng block 2 (IDB) at offset 28: total length 7 is not a multiple of 4"
    # broken HTTP/1.1 framing
    [chunk-size-not-hex]="bad chunked encoding: chunk size is not a hex number at byte 170 of the body"
    [chunk-size-line-too-long]="bad chunked encoding: chunk size too large at byte 4266 of the body"
    [chunk-extension-too-long]="bad chunked encoding: chunk extension too long or holds a line feed at byte 4266 of the body"
    [chunk-data-without-crlf]="bad chunked encoding: chunk data not followed by CRLF (chunk size wrong?) at byte 240 of the body"
    [chunk-size-bare-lf]="bad chunked encoding: chunk size is not a hex number at byte 172 of the body"
    [length-shorter-than-body]="truncated record 3: stream ended after 4 of 54 bytes"
    [length-longer-than-body]="connection lost mid-stream: connection closed after 234 of 1234 body bytes"
    [http10-then-reset]="connection lost mid-stream: read failed: Connection reset by peer"
    [http10-cut-mid-record]="truncated record 3: stream ended after 44 of 54 bytes"
    [bad-content-length]="bad HTTP response: bad Content-Length '12x'"
    [head-too-large]="bad HTTP response: header section larger than 65536 bytes"
    [not-http]="bad HTTP response: status line 'SSH-2.0-OpenSSH_9.2p1 Debian-2' is not HTTP/1.x"
    [bad-status-code]="bad HTTP response: status line 'HTTP/1.1 2x0 OK' is not HTTP/1.x"
    [gzip-coding]="bad HTTP response: unsupported Transfer-Encoding 'gzip'"
    [text-content-type]="unexpected Content-Type 'text/plain' (expected application/vnd.tcpdump.pcap, application/x-pcapng or application/octet-stream): not a capture"
    [http-500]="HTTP 500: cannot capture: no space left on device"
    [http-404]="HTTP 404: not found"
    [switching-protocols]="bad HTTP response: unexpected 101 Switching Protocols"
    # stalls: twice --connect-timeout for the response headers and the pcap header
    [silent-after-accept]="no response headers within 6 s"
    [half-head-then-nothing]="no response headers within 6 s"
    [headers-then-nothing]="response headers, then no pcap header within 6 s (a worker sends it at once)"
    [half-pcap-header-then-nothing]="response headers, then no pcap header within 6 s (a worker sends it at once)"
    [close-without-answer]="no HTTP response from {A}: connection closed before the response headers (is it an https:// server?)"
    # resets
    [reset-after-request]="no HTTP response from {A}: read failed: Connection reset by peer (is it an https:// server?)"
    [reset-mid-head]="response headers cut short after 29 bytes: read failed: Connection reset by peer"
    [reset-mid-stream]="connection lost mid-stream: read failed: Connection reset by peer"
    [reset-mid-record]="connection lost mid-stream: read failed: Connection reset by peer"
    # one byte a second
    [trickled-head]="no response headers within 6 s"
    [trickled-pcap-header]="response headers, then no pcap header within 6 s (a worker sends it at once)"
    [trickled-bad-record]="caplen 268435456 exceeds limit 262144 in record 3 at stream offset 179"
    # TLS
    [tls-random-answer]="cannot connect to {A}: TLS handshake failed: error:0A00010B:SSL routines::wrong version number (the server does not speak TLS: is it an http:// server?)"
    [tls-plain-http-answer]="cannot connect to {A}: TLS handshake failed: error:0A00010B:SSL routines::wrong version number (the server does not speak TLS: is it an http:// server?)"
    [tls-silent]="cannot connect to {A}: TLS handshake timed out"
    [tls-close-after-hello]="cannot connect to {A}: the server closed the connection during the TLS handshake"
    [tls-untrusted-cert]="cannot connect to {A}: server certificate not trusted: self-signed certificate"
    [tls-wrong-name]="cannot connect to {A}: server certificate does not match host name 127.0.0.1"
    [tls-then-not-http]="bad HTTP response: status line 'SSH-2.0-OpenSSH_9.2p1' is not HTTP/1.x"
)
hostile=0
for i in "${!urls[@]}"; do
    [[ "${roles[$i]}" == hostile ]] || continue
    hostile=$((hostile + 1))
    [[ -n "${want[${kinds[$i]}]+x}" ]] || fail "no expected line for ${kinds[$i]}"
done
assert_eq 50 "$hostile" "hostile targets"
assert_eq 50 "${#want[@]}" "expected lines"

# check_lines ERR [SUMMARY]: every hostile target has exactly one line in ERR
# besides its summary line, the one expected; an honest one has none. With
# SUMMARY, every target has exactly one summary line, with its packets and
# " (failed)" for a hostile one. (One pass over ERR: 200 greps per check
# were seconds on a loaded machine.)
check_lines() {
    local err=$1 summary=${2:-} line url rest i authority failed
    local re_line='^ddump: (https?://[^ ]+): (.*)$'
    local re_summary='^([0-9]+) packets, [0-9]+ bytes, [0-9]+ reordered( \(failed\))?$'
    local -A other=() summaries=()
    while IFS= read -r line; do
        [[ "$line" =~ $re_line ]] || continue
        url=${BASH_REMATCH[1]}
        rest=${BASH_REMATCH[2]}
        if [[ "$rest" =~ $re_summary ]]; then
            summaries[$url]+="$rest|"
        else
            other[$url]+="$line|"
        fi
    done <"$err"
    for i in "${!urls[@]}"; do
        url=${urls[$i]}
        authority=${url#*://}
        authority=${authority%%/*}
        failed=""
        if [[ "${roles[$i]}" == honest ]]; then
            assert_eq "" "${other[$url]:-}" "$url: no error line"
        else
            assert_eq "ddump: $url: ${want[${kinds[$i]}]//\{A\}/$authority}|" "${other[$url]:-}" "$url: its one line"
            failed=" (failed)"
        fi
        [[ -z "$summary" ]] && continue
        [[ "${summaries[$url]:-}" == "${wholes[$i]} packets, "*" reordered$failed|" &&
            "${summaries[$url]}" != *"|"*"|" ]] || fail "$url: summary line(s) '${summaries[$url]:-}'"
    done
}

# check_packets PCAP: a pcap tcpdump and capinfos read, holding each honest
# target's 20 packets once and each hostile one's whole records before its
# fault (the manifest's count), nothing else; prints the total.
check_packets() {
    local pcap=$1 i got total
    valid_pcap "$pcap" >/dev/null
    "$E2E_PYTHON" "$DDUMP_SRC_DIR/tests/e2e/hostile_fleet.py" count "$pcap" >counts.txt ||
        fail "$pcap: $(cat counts.txt)"
    declare -A counted=()
    while read -r key value; do counted[$key]=$value; done <counts.txt
    for i in "${!urls[@]}"; do
        got=${counted[${ids[$i]}]:-0}
        assert_eq "${wholes[$i]}" "$got" "${urls[$i]}: packets in $pcap"
    done
    assert_eq 0 "${counted[unmarked]}" "$pcap: records of no target"
    assert_eq 0 "${counted[duplicates]}" "$pcap: records written twice"
    total=${counted[total]}
    assert_eq "$total" "$(pcap_count "$pcap")" "$pcap: capinfos count"
    printf '%s\n' "$total"
}

expected_total=0
for i in "${!urls[@]}"; do expected_total=$((expected_total + wholes[i])); done

args=(--ca root.crt --connect-timeout 3 --duration 60)
read -r st wall_ms rss_kib < <(run_ddump out.pcap err.txt -q "${args[@]}" "${urls[@]}")
note "200 targets, -q: exit $st after ${wall_ms} ms, peak RSS ${rss_kib} KiB"
assert_eq 1 "$st" "exit status: $(head -5 err.txt)"
assert_eq 50 "$(wc -l <err.txt)" "stderr lines with -q: $(cat err.txt)"
check_lines err.txt
assert_eq "$expected_total" "$(check_packets out.pcap)" "packets written"
# Ended by itself (every target ended), well before --duration; the bound
# leaves room for a loaded 2-core machine.
assert_le "$wall_ms" 40000 "ms until ddump exited"
assert_le "$rss_kib" $((128 * 1024)) "peak RSS (KiB) of ddump with 200 targets"
pass "200 targets, 50 hostile: exit 1 after ${wall_ms} ms, one line per hostile target, all $expected_total packets, peak RSS ${rss_kib} KiB"

# Without -q: the same lines, and a summary line per target (hostile ones
# marked failed) and for the run.
read -r st wall_ms rss_kib < <(run_ddump out2.pcap err2.txt "${args[@]}" "${urls[@]}")
assert_eq 1 "$st" "exit status without -q"
check_lines err2.txt summary
assert_eq "$expected_total" "$(check_packets out2.pcap)" "packets written without -q"
assert_eq 1 "$(grep -c -E "^ddump: $expected_total packets written from 200 targets \(50 failed, [0-9]+ reordered\)\$" err2.txt)" \
    "run summary: $(tail -1 err2.txt)"
pass "without -q: a summary line per target, 50 marked failed, $expected_total packets written"
