# shellcheck shell=bash
# Helpers for the ddump client tests. Source after lib.sh (and e2e_init).

FAKE_PORT=""

# fake_start NAME [ARGS...]   run ddump-fake-worker on 127.0.0.1:0 as spawned
#                      process NAME; waits for the port it prints; sets FAKE_PORT.
fake_start() {
    local name=$1
    shift
    spawn "$name" "$(e2e_bin ddump-fake-worker)" "$@"
    wait_for_file_lines "$(log_out "$name")" 1 10 ||
        fail "fake worker $name did not start: $(cat "$(log_err "$name")")"
    FAKE_PORT=$(head -1 "$(log_out "$name")")
    [[ "$FAKE_PORT" =~ ^[0-9]+$ ]] || fail "fake worker $name printed no port"
}

# make_pcap FILE COUNT SEED [STEP_US=40] [NANO=0] [PAD=60]   a little-endian
#                      Ethernet pcap with COUNT records of 22 + 0..PAD bytes, timestamps
#                      rising by 0..STEP_US (so different files interleave and
#                      tie), every payload naming file seed and sequence.
make_pcap() {
    "$E2E_PYTHON" - "$@" <<'PY'
import random, struct, sys
path, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
step = int(sys.argv[4]) if len(sys.argv) > 4 else 40
nano = len(sys.argv) > 5 and sys.argv[5] == "1"
pad = int(sys.argv[6]) if len(sys.argv) > 6 else 60
rnd = random.Random(seed)
scale = 1000 if nano else 1
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b23c4d if nano else 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 1_700_000_000 * 1_000_000
    for i in range(count):
        t += rnd.randint(0, step)
        body = bytes([seed & 255]) * 12 + struct.pack(">HII", 0x88B5, seed, i) + bytes(rnd.randint(0, pad))
        sec, frac = divmod(t, 1_000_000)
        f.write(struct.pack("<IIII", sec, frac * scale, len(body), len(body) + 4) + body)
PY
}

# records_of FILE      the pcap's bytes after the 24-byte global header
records_of() { tail -c +25 "$1"; }

# same_records A B MSG   fail unless both pcaps hold byte-identical records
same_records() {
    cmp -s <(records_of "$1") <(records_of "$2") ||
        fail "$3: records differ ($(cmp <(records_of "$1") <(records_of "$2") 2>&1 | head -1))"
}

# strict_order FILE    fail unless capinfos says the file is in strict time order
strict_order() {
    local info
    info=$(capinfos -o "$1" 2>&1) || fail "capinfos $1: $info"
    assert_contains "$info" "Strict time order:   True" "time order of $1"
}

# valid_pcap FILE      tcpdump -r reads it without error; prints its packet count
valid_pcap() {
    local out
    out=$(timeout 30 tcpdump -nr "$1" 2>&1 >/dev/null) || fail "tcpdump -r $1 failed: $out"
    pcap_count "$1"
}

# size_gt FILE N       true when FILE is larger than N bytes (for wait_for)
size_gt() { [[ -f "$1" ]] && (( $(stat -c %s "$1") > $2 )); }
