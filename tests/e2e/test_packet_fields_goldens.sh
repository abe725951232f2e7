#!/usr/bin/env bash
# The golden NDJSON lines of tests/data/packet_fields/ are what tshark decodes
# from the fixtures: regenerated from tshark here, they must equal the
# committed ones (the unit test compares ddump's output with them, or with
# NAME.expected where ddump differs on purpose).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init
e2e_require_cmd tshark
out=$("$E2E_PYTHON" "$DDUMP_SRC_DIR/tests/data/packet_fields/make_goldens.py" --check 2>&1) ||
    fail "golden files are not tshark's decoding: $out"
pass "packet_fields golden lines equal tshark's decoding of every fixture"
