#!/usr/bin/python3
"""Seeds for tests/fuzz/fuzz_worker_answers: bodies of the worker's
/interfaces and /stats answers. The interfaces and stats bodies were
recorded from a ddump-worker on a bookworm VM (one capture running); the
others are what --stats-all, a proxy's error page, a refusal and hostile
bodies look like. Run: /usr/bin/python3 tests/data/worker_answers/make_seeds.py"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

INTERFACES = (
    '[{"addresses":[{"address":"192.0.2.2","family":"ipv4","netmask":"255.255.255.0"},{"address'
    '":"fd00::2","family":"ipv6","netmask":"ffff:ffff:ffff:ffff::"},{"address":"fe80::fc:ff:fe0'
    '0:1","family":"ipv6","netmask":"ffff:ffff:ffff:ffff::"}],"description":"","index":4,"loopb'
    'ack":false,"name":"eth0","running":true,"up":true},{"addresses":[],"description":"Pseudo-d'
    'evice that captures on all interfaces","index":0,"loopback":false,"name":"any","running":t'
    'rue,"up":true},{"addresses":[{"address":"127.0.0.1","family":"ipv4","netmask":"255.0.0.0"}'
    ',{"address":"::1","family":"ipv6","netmask":"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}],"d'
    'escription":"","index":1,"loopback":true,"name":"lo","running":true,"up":true},{"addresses'
    '":[],"description":"","index":2,"loopback":false,"name":"ifb0","running":false,"up":false}'
    ',{"addresses":[],"description":"","index":3,"loopback":false,"name":"ifb1","running":false'
    ',"up":false},{"addresses":[],"description":"Bluetooth Linux Monitor","index":0,"loopback":'
    'false,"name":"bluetooth-monitor","running":false,"up":false},{"addresses":[],"description"'
    ':"Linux netfilter log (NFLOG) interface","index":0,"loopback":false,"name":"nflog","runnin'
    'g":false,"up":false},{"addresses":[],"description":"Linux netfilter queue (NFQUEUE) interf'
    'ace","index":0,"loopback":false,"name":"nfqueue","running":false,"up":false},{"addresses":'
    '[],"description":"D-Bus system bus","index":0,"loopback":false,"name":"dbus-system","runni'
    'ng":false,"up":false},{"addresses":[],"description":"D-Bus session bus","index":0,"loopbac'
    'k":false,"name":"dbus-session","running":false,"up":false}]\n'
)
STATS = (
    '{\n  "captures": [\n    {\n      "bytes": 256,\n      "filter": "icmp",\n'
    '      "id": 2,\n      "interface": "any",\n      "kernel_drops": 0,\n'
    '      "linktype": "LINUX_SLL",\n      "packets": 2,\n'
    '      "peer": "127.0.0.1:48808",\n      "start_time_ns": 1796157099711514053\n'
    '    }\n  ],\n  "captures_active": 1,\n  "captures_finished": 1,\n'
    '  "captures_of_others": 0,\n  "captures_rejected": 0,\n  "max_captures": 16,\n'
    '  "uptime_seconds": 9.231182125\n}\n')
STATS_ALL = json.dumps({
    "uptime_seconds": 3600.5, "captures_active": 2, "captures_finished": 10,
    "captures_rejected": 1, "max_captures": 16, "captures_of_others": 0,
    "captures": [
        {"id": 1, "peer": "10.0.0.7:51000", "filter": "tcp port 5432", "interface": "eth0",
         "linktype": "EN10MB", "start_time_ns": 1796157000000000000, "packets": 10,
         "bytes": 1000, "kernel_drops": 18446744073709551615, "user": "alice",
         "client_cert": "CN=ddump-client", "forwarded_for": "192.0.2.1"},
        {"id": "2", "peer": "unix", "filter": "", "interface": "any", "linktype": "LINUX_SLL",
         "start_time_ns": 1796157000000000001, "packets": 0, "bytes": 0, "kernel_drops": 7,
         "history_lost": 3}],
    "history": {"capacity_bytes": 1048576, "bytes": 2048, "packets": 4, "evicted": 0,
                "kernel_drops": 0, "snaplen": 262144, "recording_since_ns": 1,
                "oldest_ns": 2}})
SEEDS = {
    "interfaces": INTERFACES,
    "stats": STATS,
    "stats_all": STATS_ALL,
    "refusal": '{"error":"no such path: /stats"}\n',
    "proxy_page": "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>\r\n",
    "wrong_types": '[{"name": 4, "index": "eth0"}, {"name": "x\\u0000\\u001b[2J", "index": 4294967296},'
                   ' {"name": "' + "n" * 80 + '", "index": 1}, {"name": "lo", "index": -1}]',
    "nested_id": '{"captures": [{"id": ' + "[" * 200 + "]" * 200 + ', "kernel_drops": 1}]}',
    "huge_numbers": '{"captures": [{"id": 2, "kernel_drops": 18446744073709551616},'
                    ' {"id": 1e400, "kernel_drops": -1}, {"id": 2.0, "kernel_drops": 1.5}]}',
}
for name, text in SEEDS.items():
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)
