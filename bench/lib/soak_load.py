#!/usr/bin/python3
"""Load for bench/soak, all on asyncio in one process (stdlib only).

  worker HOST PORT SECONDS  against one ddump-worker:
      --churn N       N clients that each open GET /capture?filter=udp, read
                      it for 1-5 s, close it, wait up to 1 s, and again
      a poller        GET /healthz, /stats and /metrics once a second each
                      (latency of every answer; anything but 200 is an error)
      a slow reader   one /capture read at 1 KiB/s for the whole run
      --flood N       every --flood-every s, for --flood-for s: N extra
                      connections from --flood-source (another address than
                      the others, as an attacker's would be), a third idle,
                      a third sending half a request line, a third trickling
                      one byte a second
      --quiet-every S every S seconds the churning clients pause for 8 s
                      (their captures closed); the windows are appended to
                      --quiet-file as "START END" (epoch seconds), so the
                      sampler can compare the worker at rest over the run
  targets PORT_FILE N SECONDS  N fake workers on one port (paths /t/0 ...
      /t/N-1) for a client under --retry: each request gets a pcap stream
      of 50 packets/s for 2-10 s that then ends with a reset (SO_LINGER 0),
      so the client reconnects again and again.

Prints one JSON object of counters and latencies on stdout at the end.
"""
import asyncio
import json
import random
import socket
import struct
import sys
import time

STATS = {}


def count(name, n=1):
    STATS[name] = STATS.get(name, 0) + n


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def http_get(host, port, path, timeout=5.0):
    """Status code and seconds taken for one GET with Connection: close."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        body = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = int(body.split(b" ", 2)[1]) if body.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - start


async def churn(host, port, stop, paused):
    while not stop.is_set():
        while paused.is_set() and not stop.is_set():
            await asyncio.sleep(0.1)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
            writer.write(b"GET /capture?filter=udp HTTP/1.1\r\nHost: soak\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            status = int(head.split(b" ", 2)[1])
            if status == 200:
                end = time.monotonic() + random.uniform(1, 5)
                got = 0
                while time.monotonic() < end and not paused.is_set():
                    try:
                        data = await asyncio.wait_for(reader.read(65536), min(0.2, end - time.monotonic()))
                    except asyncio.TimeoutError:
                        break
                    if not data:
                        count("churn_early_end")
                        break
                    got += len(data)
                count("churn_sessions")
                count("churn_bytes", got)
            elif status == 503:
                count("churn_busy")  # --max-captures or the buffer cap: expected now and then
            else:
                count("churn_status_%d" % status)
            writer.close()
        except asyncio.TimeoutError:
            count("churn_timeouts")
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            count("churn_errors_" + type(e).__name__)
        await asyncio.sleep(random.uniform(0, 1))


async def poll(host, port, stop, flooding, latencies):
    while not stop.is_set():
        for path in ("/healthz", "/stats", "/metrics"):
            try:
                status, took = await http_get(host, port, path)
                key = ("flood_" if flooding.is_set() else "") + path.strip("/")
                latencies.setdefault(key, []).append(took)
                if status != 200:
                    count("poll_status_%d" % status)
            except (OSError, asyncio.TimeoutError):
                count("poll_errors" + ("_during_flood" if flooding.is_set() else ""))
        await asyncio.sleep(1)


async def slow_reader(host, port, stop):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=1024)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            writer.write(b"GET /capture?filter=udp HTTP/1.1\r\nHost: soak\r\n\r\n")
            await writer.drain()
            while not stop.is_set():
                data = await reader.read(1024)
                if not data:
                    count("slow_reader_ended")
                    break
                count("slow_reader_bytes", len(data))
                await asyncio.sleep(1)
            writer.close()
        except (OSError, asyncio.TimeoutError):
            count("slow_reader_errors")
            await asyncio.sleep(1)


async def abuser(host, port, kind, hold, source):
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(source, 0) if source else None), 5)
    except (OSError, asyncio.TimeoutError):
        count("flood_connect_failed")
        return
    count("flood_connections")
    end = time.monotonic() + hold
    try:
        if kind == 1:
            writer.write(b"GET /healthz HT")
            await writer.drain()
        while time.monotonic() < end:
            if kind == 2:
                writer.write(b"G")
                await writer.drain()
            try:
                if not await asyncio.wait_for(reader.read(4096), 1):
                    count("flood_closed_by_worker")
                    return
            except asyncio.TimeoutError:
                pass
    except OSError:
        count("flood_closed_by_worker")
    finally:
        writer.close()


async def flood(host, port, stop, flooding, n, every, hold, source):
    while True:
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except asyncio.TimeoutError:
            pass
        flooding.set()
        count("floods")
        await asyncio.gather(*(abuser(host, port, i % 3, hold, source) for i in range(n)))
        flooding.clear()


async def quiet(stop, paused, every, path):
    while True:
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except asyncio.TimeoutError:
            pass
        paused.set()
        start = time.time()
        await asyncio.sleep(8)
        paused.clear()
        with open(path, "a") as f:
            f.write("%.3f %.3f\n" % (start, time.time()))


async def run_worker(host, port, seconds, churners, flood_n, flood_every, flood_for, flood_source,
                     quiet_every, quiet_file):
    stop = asyncio.Event()
    flooding = asyncio.Event()
    paused = asyncio.Event()
    latencies = {}
    tasks = [asyncio.create_task(churn(host, port, stop, paused)) for _ in range(churners)]
    if quiet_every:
        tasks.append(asyncio.create_task(quiet(stop, paused, quiet_every, quiet_file)))
    tasks.append(asyncio.create_task(poll(host, port, stop, flooding, latencies)))
    tasks.append(asyncio.create_task(slow_reader(host, port, stop)))
    if flood_n:
        tasks.append(asyncio.create_task(
            flood(host, port, stop, flooding, flood_n, flood_every, flood_for, flood_source)))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    for key, values in latencies.items():
        STATS["%s_p50_ms" % key] = round(1000 * percentile(values, 0.5), 1)
        STATS["%s_max_ms" % key] = round(1000 * max(values), 1)
        STATS["%s_n" % key] = len(values)


def pcap_record(ts, index, payload_len):
    body = bytes(12) + b"\x88\xb5" + struct.pack(">I", index) + bytes(payload_len)
    sec, usec = int(ts), int((ts % 1) * 1e6)
    return struct.pack("<IIII", sec, usec, len(body), len(body)) + body


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


async def serve_target(reader, writer):
    try:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        writer.write(chunk(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)))
        count("target_streams")
        end = time.monotonic() + random.uniform(2, 10)
        index = 0
        while time.monotonic() < end:
            writer.write(chunk(pcap_record(time.time(), index, random.randint(0, 200))))
            index += 1
            await writer.drain()
            await asyncio.sleep(0.02)
        count("target_packets", index)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        count("target_resets")
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        count("target_errors")
    finally:
        writer.close()


async def run_targets(port_file, seconds):
    server = await asyncio.start_server(serve_target, "127.0.0.1", 0, backlog=256)
    with open(port_file, "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    await asyncio.sleep(seconds)
    server.close()


def main():
    mode = sys.argv[1]
    if mode == "worker":
        host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        opts = dict(zip(sys.argv[5::2], sys.argv[6::2]))
        asyncio.run(run_worker(host, port, seconds, int(opts.get("--churn", 50)),
                               int(opts.get("--flood", 0)), float(opts.get("--flood-every", 300)),
                               float(opts.get("--flood-for", 60)), opts.get("--flood-source"),
                               float(opts.get("--quiet-every", 0)), opts.get("--quiet-file", "/dev/null")))
    elif mode == "targets":
        asyncio.run(run_targets(sys.argv[2], float(sys.argv[4])))
    else:
        sys.exit("usage: soak_load.py worker HOST PORT SECONDS [--churn N] [--flood N] ... | "
                 "targets PORT_FILE N SECONDS")
    print(json.dumps(STATS, sort_keys=True))


if __name__ == "__main__":
    main()
