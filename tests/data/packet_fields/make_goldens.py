#!/usr/bin/python3
"""Writes NAME.golden for common/packet_fields + common/packet_json from what
tshark decodes in ../packet_summary/NAME.pcap: one NDJSON line per packet, as
appendPacketJson writes it with host "h" (and no interface or direction), built
here from tshark's own fields, never from ddump's code.

Usage: /usr/bin/python3 make_goldens.py [--check]

Where ddump reports a packet differently on purpose, NAME.expected holds the
expected lines instead (written by hand from the bytes; kept short):
  * truncated: ddump says "truncated":true when the capture ends inside a
    header it had begun (tshark instead flags the packet malformed); the
    layers tshark decodes from a cut header are left out by ddump;
  * tunnels: ddump reports the first IP header and what it carries, tshark
    decodes the inner packets too;
  * link types tshark does not decode as ddump does (DLT 14, OpenBSD's RAW).
This script prints, per file, how many packets agree with the current
NAME.expected (when there is one), so a change in either shows up.

--check regenerates into a temporary directory and fails unless each golden
file is identical to the committed one.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "packet_summary")
FILES = ["ethernet", "prefixes", "absolute", "raw", "raw12", "null", "loop", "sll", "sll2"]


def tshark_packets(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-T", "json", "--no-duplicate-keys"],
                         check=True, capture_output=True, text=True).stdout
    return [p["_source"]["layers"] for p in json.loads(out)]


def first(value):
    return value[0] if isinstance(value, list) else value


def num(text):
    return int(first(text), 0)


def ts_text(epoch):
    seconds, _, fraction = epoch.partition(".")
    fraction = (fraction + "000000000")[:9]
    day = datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc)
    return day.strftime("%Y-%m-%dT%H:%M:%S") + "." + fraction + "Z"


def last_nxt(layer, found):
    """Every *.nxt value inside an ipv6 layer, in order."""
    for key, value in layer.items():
        if isinstance(value, dict):
            last_nxt(value, found)
        elif key.endswith(".nxt") and key != "ipv6.nxt":
            found.append(num(value))
    return found


def fragment_header(layer):
    for key, value in layer.items():
        if key == "ipv6.fraghdr" or key.startswith("ipv6.fraghdr"):
            if isinstance(value, dict):
                return value
        if isinstance(value, dict):
            inner = fragment_header(value)
            if inner:
                return inner
    return None


def line(layers):
    try:
        return build(layers)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # A header tshark decodes only in part (a cut packet): its line is
        # what tshark has, and NAME.expected says what ddump reports.
        return json.dumps({"tshark_partial": str(e)}, separators=(",", ":"))


def build(layers):
    frame = layers["frame"]
    obj = {"ts": ts_text(frame["frame.time_epoch"]), "host": "h",
           "len": num(frame["frame.len"]), "caplen": num(frame["frame.cap_len"])}
    eth = layers.get("eth")
    # 802.1ad (outer) tags are their own layer in tshark, 802.1Q ones "vlan".
    outer = layers.get("ieee8021ad")
    inner = layers.get("vlan")
    vlans = [v for v in (outer if isinstance(outer, list) else [outer] if outer else [])] + \
            [v for v in (inner if isinstance(inner, list) else [inner] if inner else [])]
    vlans = [{"vlan.id": v.get("vlan.id", v.get("ieee8021ad.id")),
              "vlan.etype": v.get("vlan.etype", v.get("ieee8021ad.etype"))} for v in vlans]
    if isinstance(eth, dict):
        etype = num(eth["eth.type"]) if "eth.type" in eth else None
        if vlans:
            vlans = vlans if isinstance(vlans, list) else [vlans]
            etype = num(vlans[-1]["vlan.etype"])
        obj["eth"] = {"src": eth["eth.src"], "dst": eth["eth.dst"], "type": etype}
    if vlans:
        obj["vlan"] = [num(v["vlan.id"]) for v in vlans]
    ip = first(layers.get("ip")) if "ip" in layers else None
    ipv6 = first(layers.get("ipv6")) if "ipv6" in layers else None
    protocol = None
    if ip:
        mf = num(ip["ip.flags_tree"]["ip.flags.mf"])
        offset = num(ip["ip.frag_offset"])
        protocol = num(ip["ip.proto"])
        obj["ip"] = {"v": 4, "src": ip["ip.src"], "dst": ip["ip.dst"], "proto": protocol,
                     "ttl": num(ip["ip.ttl"]), "id": num(ip["ip.id"]), "frag": bool(mf or offset)}
    elif ipv6:
        chain = last_nxt(ipv6, [])
        protocol = chain[-1] if chain else num(ipv6["ipv6.nxt"])
        obj["ip"] = {"v": 6, "src": ipv6["ipv6.src"], "dst": ipv6["ipv6.dst"], "proto": protocol,
                     "ttl": num(ipv6["ipv6.hlim"])}
        frag = fragment_header(ipv6)
        if frag:
            obj["ip"]["id"] = num(frag["ipv6.fraghdr.ident"])
        obj["ip"]["frag"] = bool(frag)
    if "ip" in obj:
        tcp, udp = first(layers.get("tcp")), first(layers.get("udp"))
        icmp, icmp6 = first(layers.get("icmp")), first(layers.get("icmpv6"))
        if protocol == 6 and isinstance(tcp, dict):
            obj["tcp"] = {"sport": num(tcp["tcp.srcport"]), "dport": num(tcp["tcp.dstport"]),
                          "flags": flag_letters(num(tcp["tcp.flags"])), "seq": num(tcp["tcp.seq_raw"]),
                          "ack": num(tcp["tcp.ack_raw"]), "win": num(tcp["tcp.window_size_value"])}
        elif protocol == 17 and isinstance(udp, dict):
            obj["udp"] = {"sport": num(udp["udp.srcport"]), "dport": num(udp["udp.dstport"]),
                          "len": num(udp["udp.length"])}
        elif protocol == 1 and isinstance(icmp, dict):
            obj["icmp"] = {"type": num(icmp["icmp.type"]), "code": num(icmp["icmp.code"])}
        elif protocol == 58 and isinstance(icmp6, dict):
            obj["icmp6"] = {"type": num(icmp6["icmpv6.type"]), "code": num(icmp6["icmpv6.code"])}
    arp = layers.get("arp")
    if isinstance(arp, dict) and "arp.src.proto_ipv4" in arp:
        obj["arp"] = {"op": num(arp["arp.opcode"]), "sha": arp["arp.src.hw_mac"],
                      "spa": arp["arp.src.proto_ipv4"], "tha": arp["arp.dst.hw_mac"],
                      "tpa": arp["arp.dst.proto_ipv4"]}
    if "eth" not in obj and "ip" not in obj and "arp" not in obj:
        etype = link_ethertype(layers)
        if etype:
            obj["ethertype"] = etype
    return json.dumps(obj, separators=(",", ":"))


def link_ethertype(layers):
    sll = layers.get("sll")
    if isinstance(sll, dict):
        for key in ("sll.etype", "sll.ltype"):
            if key in sll:
                return num(sll[key])
    return None


def flag_letters(flags):
    order = [(0x02, "S"), (0x10, "A"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"),
             (0x80, "C")]
    return "".join(letter for bit, letter in order if flags & bit)


def write(directory):
    for name in FILES:
        lines = [line(layers) for layers in tshark_packets(os.path.join(PCAPS, name + ".pcap"))]
        with open(os.path.join(directory, name + ".golden"), "w") as f:
            f.write("\n".join(lines) + "\n")


def main():
    if sys.argv[1:] == ["--check"]:
        with tempfile.TemporaryDirectory() as tmp:
            write(tmp)
            bad = [n for n in FILES
                   if open(os.path.join(tmp, n + ".golden")).read() !=
                   open(os.path.join(HERE, n + ".golden")).read()]
            if bad:
                sys.exit("golden files differ from tshark's decoding: %s" % ", ".join(bad))
        return
    write(HERE)
    for name in FILES:
        expected = os.path.join(HERE, name + ".expected")
        if os.path.exists(expected):
            golden = open(os.path.join(HERE, name + ".golden")).read().splitlines()
            mine = open(expected).read().splitlines()
            same = sum(1 for a, b in zip(golden, mine) if a == b)
            print("%s: %d of %d lines of the .expected agree with tshark" % (name, same, len(golden)))


if __name__ == "__main__":
    main()
