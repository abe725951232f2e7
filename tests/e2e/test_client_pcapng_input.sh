#!/usr/bin/env bash
# ddump reads pcapng as it reads pcap, told by the magic, from files, stdin
# and HTTP: the records equal mergecap's (-F pcap) merge of the same inputs;
# ddump's own -F pcapng -w DIR/ files merge back into what the direct merge
# wrote; an input whose interfaces have two link types is refused in one line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/client_lib.sh"
e2e_init
e2e_require_cmd editcap mergecap capinfos tcpdump curl
DDUMP=$(e2e_bin ddump)
cd "$E2E_TMP"

make_pcap a.pcap 400 1
make_pcap b.pcap 300 2
make_pcap c.pcap 200 3 40 1          # nanoseconds
editcap -F pcapng a.pcap a.pcapng
editcap -F pcapng b.pcap b.pcapng
editcap -F pcapng c.pcap c.pcapng

# --- files: pcapng and pcap side by side, as mergecap merges them -------------
"$DDUMP" -q a.pcapng b.pcap >ab.pcap || fail "ddump a.pcapng b.pcap: exit $?"
mergecap -F pcap -w ab.ref a.pcap b.pcap
same_records ab.pcap ab.ref "pcapng + pcap against mergecap"
assert_eq 700 "$(pcap_count ab.pcap)" "every record"
"$DDUMP" -q a.pcapng b.pcapng c.pcapng >abc.pcap || fail "three pcapng files: exit $?"
mergecap -F nsecpcap -w abc.ref a.pcap b.pcap c.pcap
same_records abc.pcap abc.ref "a nanosecond pcapng stays nanosecond, records as mergecap -F nsecpcap"
assert_eq "a1b23c4d" "$(head -c 4 abc.pcap | od -An -tx4 | tr -d ' ')" "nanosecond output"

# --- stdin --------------------------------------------------------------------
"$DDUMP" -q - <a.pcapng >stdin.pcap || fail "pcapng on stdin: exit $?"
same_records stdin.pcap a.pcap "pcapng on stdin"

# --- HTTP: a server that says application/octet-stream -------------------------
mkdir www && cp b.pcapng www/b.pcapng
spawn www "$E2E_PYTHON" -u -m http.server 0 --bind 127.0.0.1 --directory www
wait_for_log www 'Serving HTTP on 127.0.0.1 port [0-9]+' 10 || fail "http.server did not start"
port=$(grep -hoE 'port [0-9]+' "$(log_out www)" "$(log_err www)" 2>/dev/null | head -1 | grep -oE '[0-9]+')
type=$(curl -sI "http://127.0.0.1:$port/b.pcapng" | tr -d '\r' | sed -n 's/^Content-[Tt]ype: //p')
assert_eq "application/octet-stream" "$type" "the server's Content-Type"
"$DDUMP" -q "http://127.0.0.1:$port/b.pcapng" a.pcap >http.pcap || fail "pcapng over HTTP: exit $?"
mergecap -F pcap -w ba.ref b.pcap a.pcap   # the same order: ties go to the later input
same_records http.pcap ba.ref "pcapng over HTTP merged with a file"

# --- ddump's own -F pcapng -w DIR/ merges back ---------------------------------
"$DDUMP" -q -F pcapng -w per-file/ a.pcap b.pcap c.pcap || fail "-F pcapng -w DIR/: exit $?"
"$DDUMP" -q per-file/a.pcapng per-file/b.pcapng per-file/c.pcapng >back.pcap ||
    fail "merging ddump's own pcapng files: exit $?"
"$DDUMP" -q a.pcap b.pcap c.pcap >direct.pcap
same_records back.pcap direct.pcap "ddump's per-target pcapng files merge to the direct merge"

# --- two link types in one input -------------------------------------------------
"$E2E_PYTHON" - two.pcapng <<'PY'
import struct, sys
def block(t, body):
    body += bytes(-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)
shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = lambda link: block(1, struct.pack("<HHI", link, 0, 65535))
epb = lambda i, data: block(6, struct.pack("<IIIII", i, 0, 1_000_000, len(data), len(data)) + data)
open(sys.argv[1], "wb").write(shb + idb(1) + idb(101) + epb(0, bytes(14)) + epb(1, bytes([0x45]) + bytes(19)))
PY
status=0
"$DDUMP" -q two.pcapng >two.pcap 2>two.err || status=$?
assert_eq 1 "$status" "exit status"
assert_eq 1 "$(wc -l <two.err)" "one line"
assert_contains "$(cat two.err)" "two.pcapng: pcapng interface 1 of section 1 has link type" "names the input"
assert_contains "$(cat two.err)" "cannot be merged" "says why"
capinfos two.pcap >/dev/null || fail "the output is still a valid pcap"

pass "pcapng input: files, stdin, HTTP, ddump's own per-target files, two link types refused"
