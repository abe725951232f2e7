#!/usr/bin/python3
"""Seeds for tests/fuzz/fuzz_target: the targets README.md shows and the
forms target.h accepts (bare hosts, IPv6 literals with zones, credentials,
percent-encoded query, files, stdin). One text per file, no newline.
Run: /usr/bin/python3 tests/data/target/make_seeds.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = {
    "readme_https": "https://web1:8443",
    "bare_host_port": "host2:9000",
    "bare_host": "db1",
    "ipv6_zone": "http://[fe80::1%25eth0]:9000/capture",
    "ipv6_bare": "2001:db8::2",
    "credentials_query": "https://al%40ce:p%3Ass%2Fw%25d@h.example:8443/x/capture"
                         "?filter=tcp+port+80%20and%20not%20arp&count=5",
    "fragment": "HTTP://h?filter=icmp#frag",
    "file": "./captures/a.pcap.gz",
    "stdin": "-",
    "bad_escape_password": "http://alice:%zz@h:99999/",
}
for name, text in SEEDS.items():
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)
