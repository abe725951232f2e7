#!/usr/bin/python3
"""Seeds for tests/fuzz/fuzz_capture_request: query strings of GET /capture
as the client and curl send them (README "HTTP API"), the history window
forms, and refusals. One query (what follows '?') per file, no newline.
Run: /usr/bin/python3 tests/data/capture_request/make_seeds.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = {
    "readme_curl": "filter=icmp",
    "client_defaults": "filter=tcp%20port%2080%20and%20host%2010.0.0.1&interface=eth0"
                       "&precision=nano",
    "all_parameters": "filter=icmp+or+udp+port+53&interface=eth0&linktype=sll2&snaplen=128"
                      "&count=10&duration=2.5&precision=nano&direction=out",
    "history_relative": "filter=port%20443&since=-5m&until=%2B1m",
    "history_rfc3339": "since=2026-12-01T12:00:00Z&until=2026-12-01T12:05:00.250%2B01:00",
    "trigger": "filter=tcp%5B13%5D%262!%3D0&count=1&linktype=sll",
    "repeated": "filter=icmp&filter=arp",
    "unknown": "filter=icmp&snaplen=65535&bogus=1",
    "bad_numbers": "snaplen=262145&count=0&duration=1e400",
}
for name, text in SEEDS.items():
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)
