#!/usr/bin/env python3
"""A test Kubernetes API server that the real kubectl (1.20 and 1.32) talks to.

  k8s_api.py --state FILE [--listen ADDR] [--port N] [--token TOKEN]
             [--tls-cert CRT --tls-key KEY] [--server-version vX.Y.Z]

Binds ADDR:N (default 127.0.0.1:0), prints the port it bound on the first line
of stdout, logs one line per request on stderr, and serves until SIGTERM or
SIGINT (open watches and proxied streams then end cleanly within a second).

What it serves, in the JSON shapes of the Kubernetes API reference
(https://kubernetes.io/docs/reference/kubernetes-api/), for the resources
pods, nodes, services, endpoints, namespaces (core v1) and deployments,
statefulsets, daemonsets, replicasets (apps/v1):

  * discovery: /version, /api, /api/v1, /apis, /apis/apps, /apis/apps/v1 (the
    legacy shapes: a client asking for aggregated discovery gets these with
    Content-Type application/json and falls back, as from an older server);
  * GET of lists (namespaced or across namespaces) and of single objects, with
    labelSelector (=, ==, !=, in, notin, exists, !key, gt, lt: the grammar of
    k8s.io/apimachinery/pkg/labels), fieldSelector (=, ==, !=; spec.nodeName,
    status.phase, ... for pods), limit/continue;
  * ?watch=1: a chunked stream of {"type": ADDED|MODIFIED|DELETED|BOOKMARK,
    "object": ...} lines, from resourceVersion (events after it, replayed from
    the full history kept) or, without one or with "0", the current objects
    as ADDED first; an object that stops (starts) matching the selectors is
    DELETED (ADDED), as the API server's watch cache does; timeoutSeconds and
    sendInitialEvents honoured; open until the client leaves or the server
    stops;
  * the Table format kubectl asks for when it prints for humans (Accept:
    application/json;as=Table;v=v1;g=meta.k8s.io), for lists, objects, watches;
  * the pods/proxy subresource /api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]
    /proxy/PATH?QUERY: a streaming HTTP/1.1 proxy to the pod's IP (PORT may be
    a number or a container port's name; without one, the first container
    port), each piece of the response body passed on as it arrives (a live
    capture must not wait in a buffer), the upstream connection closed as soon
    as the client leaves;
  * Bearer-token authentication on everything but /_test/ and the health
    paths: a missing or wrong token is a 401 Status, as from a real server.

The state file is a Python literal (or JSON) dict, read with
ast.literal_eval, of lists under "nodes", "pods", "services", "deployments",
"statefulsets", "daemonsets", "replicasets", and "namespaces" (names). Each
entry is either a whole object (it has "metadata": taken as written, with uid,
resourceVersion and creationTimestamp filled in) or a short form:

  node:     {"name", "internalIP": str|[str], "externalIP", "labels", "ready"}
  pod:      {"name", "namespace", "labels", "annotations", "node", "ips": [..]
             (or "ip"; hostNetwork pods default to the node's InternalIPs),
             "hostNetwork", "phase" (Running), "ready" (phase == Running),
             "terminating" (metadata.deletionTimestamp set),
             "ports": [8475 | {"name", "containerPort", "protocol"}],
             "owner": {"kind", "name"}, "container", "image"}
  service:  {"name", "namespace", "selector", "clusterIP" ("None": headless),
             "ports": [80 | {"name", "port", "targetPort", "protocol"}],
             "type", "labels"}
  workload: {"name", "namespace", "matchLabels", "matchExpressions",
             "labels", "templateLabels", "replicas", "serviceName" (sts),
             "nodeSelector" (ds), "ports"}

Endpoints and Namespaces are derived from the other objects, and so is the
status of every short-form workload (replicas, ready, ...); when a change
alters them, they get a new resourceVersion and a watch event too.

Control endpoints (no token needed; a test changes the cluster during a run):
  POST   /_test/RESOURCE              body: one entry as above; adds it
                                      (ADDED) or replaces it (MODIFIED)
  DELETE /_test/RESOURCE/NS/NAME      removes it (DELETED); nodes: /NAME
  GET    /_test/RESOURCE              the stored objects, as a JSON list

The objects (their shapes, what is derived, the store, the Tables) are in
k8s_objects.py, the selector grammar in k8s_selectors.py; this file is the
HTTP side: routing, authentication, lists, watches, the pods/proxy relay.
"""
import argparse
import ast
import base64
import bisect
import json
import re
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The modules beside this file are imported from the source tree, which must
# stay free of __pycache__ directories.
sys.dont_write_bytecode = True
from k8s_objects import (BY_NAME, STORED, Store, api_group, object_fields,  # noqa: E402
                         resource_list, to_table)
from k8s_selectors import (SelectorError, fields_match, labels_match,  # noqa: E402
                           parse_field_selector, parse_label_selector)

STOP = threading.Event()


# ---------------------------------------------------------------------------
# Bounded HTTP/1.1 pieces for the pods/proxy relay (RFC 9112)
# ---------------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "proxy-connection"}
MAX_HEAD = 65536


class ChunkedDecoder:
    """RFC 9112 section 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers
    CRLF. Fed any split of the bytes; never reads past what it has; size
    lines and the trailer section are bounded."""

    def __init__(self):
        self.state, self.buf, self.left, self.trailer_bytes = "size", b"", 0, 0

    def feed(self, data):
        """The body bytes the data completes; ValueError on bad framing."""
        self.buf += data
        out = []
        while self.buf and self.state != "done":
            if self.state == "data":
                take = self.buf[:self.left]
                out.append(take)
                self.buf, self.left = self.buf[len(take):], self.left - len(take)
                if self.left == 0:
                    self.state = "crlf"
                continue
            nl = self.buf.find(b"\n")
            if nl < 0:
                if len(self.buf) > 4096:
                    raise ValueError("chunk line longer than 4096 bytes")
                break
            line, self.buf = self.buf[:nl].rstrip(b"\r"), self.buf[nl + 1:]
            if self.state == "crlf":
                if line:
                    raise ValueError("chunk data not followed by CRLF")
                self.state = "size"
            elif self.state == "size":
                size = line.split(b";", 1)[0].strip()
                if not size or len(size) > 16 or not re.match(rb"^[0-9A-Fa-f]+$", size):
                    raise ValueError("bad chunk size line %r" % line[:40])
                self.left = int(size, 16)
                self.state = "data" if self.left else "trailer"
            else:   # trailer fields until the empty line
                self.trailer_bytes += len(line)
                if self.trailer_bytes > MAX_HEAD:
                    raise ValueError("trailer section too large")
                if not line:
                    self.state = "done"
        return [b for b in out if b]

    def done(self):
        return self.state == "done"


def read_head(sock, deadline):
    """The response head (bytes up to the empty line) and what followed it."""
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            return buf[:end], buf[end + 4:]
        if len(buf) > MAX_HEAD:
            raise ValueError("response head longer than %d bytes" % MAX_HEAD)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no response head within the timeout")
        sock.settimeout(left)
        data = sock.recv(65536)
        if not data:
            raise ValueError("connection closed before the response head ended")
        buf += data


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^HTTP/1\.[01] ([0-9]{3})(?: (.*))?$", lines[0])
    if not m:
        raise ValueError("bad status line %r" % lines[0][:80])
    fields = []
    for ln in lines[1:]:
        if ":" not in ln or ln[0] in " \t":
            raise ValueError("bad header line %r" % ln[:80])
        name, value = ln.split(":", 1)
        fields.append((name.strip(), value.strip()))
    return int(m.group(1)), m.group(2) or "", fields


def readable(sock):
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    r, _, _ = select.select([sock], [], [], 0)
    return bool(r)


def peer_gone(sock):
    """True when the client closed its side (EOF or an error); a request a
    client sends while it streams is not expected and dropped."""
    if not readable(sock):
        return False
    saved = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return sock.recv(4096) == b""
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(saved)


# ---------------------------------------------------------------------------
# The HTTP handler
# ---------------------------------------------------------------------------


def status_obj(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-test-apiserver"
    timeout = 300   # an idle keep-alive connection, or a client not reading

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # -- replies ------------------------------------------------------------
    def send_json(self, code, obj, extra=()):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, code, reason, message, details=None):
        self.send_json(code, status_obj(code, reason, message, details))

    def not_found(self):
        self.fail(404, "NotFound", "the server could not find the requested resource",
                  {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})

    def start_chunked(self, code=200, ctype="application/json", fields=()):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in fields:
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def read_body(self, limit=1 << 20):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ValueError("a chunked request body is not supported here")
        n = self.headers.get("Content-Length", "0")
        if not n.isdigit() or int(n) > limit:
            raise ValueError("Content-Length %r is not a number up to %d" % (n, limit))
        return self.rfile.read(int(n)) if int(n) else b""

    # -- dispatch -----------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def dispatch(self):
        try:
            url = urllib.parse.urlsplit(self.path)
            self.raw_path, self.raw_query = url.path, url.query
            self.query = {k: v[0] for k, v in
                          urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            segs = [urllib.parse.unquote(s) for s in url.path.split("/") if s]
            if segs[:1] == ["_test"]:
                return self.control(segs[1:])
            if url.path in ("/healthz", "/readyz", "/livez"):
                return self.send_plain(200, "ok")
            if not self.authorized():
                return self.fail(401, "Unauthorized", "Unauthorized")
            self.api(segs)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def send_plain(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def authorized(self):
        got = self.headers.get("Authorization", "")
        return got == "Bearer " + self.server.token

    def api(self, segs):
        store = self.server.store
        if segs == ["version"]:
            v = store.version.lstrip("v").split(".")
            return self.send_json(200, {"major": v[0], "minor": v[1], "gitVersion": store.version,
                                        "gitCommit": "0" * 40, "gitTreeState": "clean",
                                        "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.20",
                                        "compiler": "gc", "platform": "linux/amd64"})
        if segs == []:
            return self.send_json(200, {"paths": ["/api", "/api/v1", "/apis", "/apis/apps",
                                                  "/apis/apps/v1", "/healthz", "/version"]})
        if segs == ["api"]:
            host = "%s:%d" % self.server.server_address[:2]
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [
                                            {"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
        if segs == ["apis"]:
            g = api_group("apps")
            del g["kind"], g["apiVersion"]
            return self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [g]})
        if segs == ["apis", "apps"]:
            return self.send_json(200, api_group("apps"))
        if segs == ["api", "v1"]:
            return self.send_json(200, resource_list(""))
        if segs == ["apis", "apps", "v1"]:
            return self.send_json(200, resource_list("apps"))
        if segs[:2] == ["api", "v1"]:
            return self.resource("", segs[2:])
        if segs[:3] == ["apis", "apps", "v1"]:
            return self.resource("apps", segs[3:])
        self.not_found()

    def resource(self, group, rest):
        """rest: [RES], [RES, NAME], [namespaces, NS], [namespaces, NS, RES],
        [namespaces, NS, RES, NAME], [namespaces, NS, pods, NAME, proxy, ...]."""
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        r = BY_NAME.get(rest[0]) if rest else None
        if r is None or r.group != group or (ns is not None and not r.namespaced):
            return self.not_found()
        if len(rest) >= 3 and r.name == "pods" and rest[2] == "proxy" and ns is not None:
            return self.pod_proxy(ns, rest[1])
        if self.command not in ("GET", "HEAD"):
            return self.fail(405, "MethodNotAllowed",
                             "the server does not allow this method on the requested resource")
        if len(rest) == 1:
            return self.collection(r, ns)
        if len(rest) == 2:
            return self.single(r, ns, rest[1])
        self.not_found()

    def single(self, r, ns, name):
        if r.namespaced and ns is None:
            return self.not_found()
        o = self.server.store.get(r.name, ns or "", name)
        if o is None:
            return self.fail(404, "NotFound", '%s "%s" not found' % (r.qualified(), name),
                             {"name": name, "group": r.group, "kind": r.name} if r.group else
                             {"name": name, "kind": r.name})
        if self.wants_table():
            return self.send_json(200, to_table(r.name, [o], o["metadata"]["resourceVersion"],
                                                self.query.get("includeObject", "Metadata")))
        self.send_json(200, o)

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def selectors(self, r):
        labels = parse_label_selector(self.query.get("labelSelector", ""))
        sample = object_fields(r.name, {"metadata": {}, "spec": {}, "status": {}})
        fields = parse_field_selector(self.query.get("fieldSelector", ""), sample)
        return labels, fields

    def collection(self, r, ns):
        try:
            labels, fields = self.selectors(r)
        except SelectorError as e:
            return self.fail(400, "BadRequest", str(e))
        if self.query.get("watch") in ("1", "true"):
            return self.watch(r, ns, labels, fields)
        items, rv = self.server.store.listing(r.name, ns)
        items = [o for o in items if labels_match(labels, o["metadata"].get("labels"))
                 and fields_match(fields, object_fields(r.name, o))]
        meta = {"resourceVersion": str(rv)}
        start = 0
        if self.query.get("continue"):
            try:
                start = int(base64.b64decode(self.query["continue"]).decode().split(":")[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                return self.fail(400, "BadRequest", "continue key is not valid")
        limit = self.query.get("limit", "")
        end = len(items)
        if limit.isdigit() and int(limit) > 0 and start + int(limit) < len(items):
            end = start + int(limit)
            meta["continue"] = base64.b64encode(("%d:%d" % (rv, end)).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        items = items[start:end]
        if self.wants_table():
            t = to_table(r.name, items, rv, self.query.get("includeObject", "Metadata"))
            t["metadata"] = meta
            return self.send_json(200, t)
        for o in items:   # a typed list's items carry no kind or apiVersion
            o.pop("kind", None)
            o.pop("apiVersion", None)
        self.send_json(200, {"kind": r.kind + "List", "apiVersion": r.api_version,
                             "metadata": meta, "items": items})

    # -- watch --------------------------------------------------------------
    def watch(self, r, ns, labels, fields):
        store = self.server.store
        rv_param = self.query.get("resourceVersion", "")
        initial_events = self.query.get("sendInitialEvents") == "true"
        if rv_param not in ("", "0") and not rv_param.isdigit():
            return self.fail(400, "BadRequest", "invalid resource version: %s" % rv_param)
        timeout = self.query.get("timeoutSeconds", "")
        deadline = time.monotonic() + int(timeout) if timeout.isdigit() and int(timeout) else None
        table = self.wants_table()
        include = self.query.get("includeObject", "Metadata")

        def matches(o):
            if o is None:
                return False
            if ns is not None and o["metadata"].get("namespace") != ns:
                return False
            return (labels_match(labels, o["metadata"].get("labels"))
                    and fields_match(fields, object_fields(r.name, o)))

        with store.cond:
            if rv_param in ("", "0") or initial_events:
                current, cursor = store.listing(r.name, ns)
                first = [("ADDED", o) for o in current if matches(o)]
            else:
                cursor, first = int(rv_param), []
        headers_sent = [False]

        def emit(typ, obj):
            if table and typ != "BOOKMARK":
                obj = to_table(r.name, [obj], obj["metadata"]["resourceVersion"], include,
                               headers=not headers_sent[0])
                headers_sent[0] = True
            self.chunk((json.dumps({"type": typ, "object": obj}) + "\n").encode())

        self.start_chunked()
        self.server.streams_open(1)
        try:
            for typ, o in first:
                emit(typ, o)
            if initial_events:
                emit("BOOKMARK", {"kind": r.kind, "apiVersion": r.api_version,
                                  "metadata": {"resourceVersion": str(cursor),
                                               "annotations": {"k8s.io/initial-events-end": "true"}}})
            while not STOP.is_set():
                with store.cond:
                    i = bisect.bisect_right(store.event_rvs, cursor)
                    batch = store.events[i:]
                    if not batch:
                        store.cond.wait(0.2)
                        batch = store.events[bisect.bisect_right(store.event_rvs, cursor):]
                for ev_rv, res, typ, obj, old in batch:
                    cursor = ev_rv
                    if res != r.name:
                        continue
                    now_in = matches(obj) if typ != "DELETED" else False
                    was_in = matches(old)
                    if typ == "DELETED" and was_in:
                        emit("DELETED", obj)
                    elif now_in and was_in:
                        emit("MODIFIED", obj)
                    elif now_in:
                        emit("ADDED", obj)
                    elif was_in:
                        emit("DELETED", obj)   # left the selection: gone from this watch
                if batch:
                    self.wfile.flush()
                if peer_gone(self.connection):
                    self.close_connection = True
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    break
            self.end_chunks()
        finally:
            self.server.streams_open(-1)

    # -- pods/proxy ---------------------------------------------------------
    def pod_proxy(self, ns, spec):
        """[SCHEME:]NAME[:PORT]: the ways the API server's pod proxy names
        the pod and the port (k8s.io/kubernetes pkg/registry/core/pod)."""
        parts = spec.split(":")
        scheme = "http"
        if len(parts) == 3:
            scheme, name, port = parts
        elif len(parts) == 2:
            name, port = parts
        elif len(parts) == 1:
            name, port = parts[0], ""
        else:
            return self.fail(400, "BadRequest", "invalid pod request %s" % spec)
        if scheme not in ("http", "https", ""):
            return self.fail(400, "BadRequest", "invalid scheme %s in pod request %s" % (scheme, spec))
        scheme = scheme or "http"
        pod = self.server.store.get("pods", ns, name)
        if pod is None:
            return self.fail(404, "NotFound", 'pods "%s" not found' % name, {"name": name, "kind": "pods"})
        ip = pod.get("status", {}).get("podIP")
        if not ip:
            return self.fail(503, "ServiceUnavailable", "pod %s does not have a host assigned" % name)
        cports = [p for c in pod["spec"].get("containers", []) for p in c.get("ports", [])]
        if port and not port.isdigit():
            named = [p["containerPort"] for p in cports if p.get("name") == port]
            if not named:
                return self.fail(503, "ServiceUnavailable", "no port named %s on pod %s" % (port, name))
            port = str(named[0])
        if not port:
            port = str(cports[0]["containerPort"]) if cports else ("443" if scheme == "https" else "80")
        # The path after .../pods/NAME/proxy, as the client sent it
        # (percent-encoding and slashes kept): /api/v1/namespaces/NS/pods/...
        raw = self.raw_path.split("/")
        proxy_at = [i for i, seg in enumerate(raw) if seg][6]   # api v1 namespaces NS pods NAME proxy
        target = "/" + "/".join(raw[proxy_at + 1:]) + ("?" + self.raw_query if self.raw_query else "")
        self.relay(scheme, ip, int(port), target)

    def relay(self, scheme, ip, port, target):
        hostport = ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)
        try:
            body = self.read_body()
        except ValueError as e:
            return self.fail(400, "BadRequest", str(e))
        try:
            up = socket.create_connection((ip, port), timeout=5)
        except OSError as e:
            why = "connection refused" if isinstance(e, ConnectionRefusedError) else str(e)
            return self.fail(503, "ServiceUnavailable",
                             "error trying to reach service: dial tcp %s: connect: %s" % (hostport, why))
        try:
            if scheme == "https":
                # The API server does not verify a pod's certificate either.
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                up = ctx.wrap_socket(up, server_hostname=None)
            fwd = [(k, v) for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP | {"host", "authorization", "content-length"}]
            xff = self.headers.get("X-Forwarded-For")
            client = self.client_address[0]
            fwd = [(k, v) for k, v in fwd if k.lower() != "x-forwarded-for"]
            fwd.append(("X-Forwarded-For", xff + ", " + client if xff else client))
            req = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (self.command, target, hostport)
            req += "".join("%s: %s\r\n" % kv for kv in fwd)
            if body or self.command in ("POST", "PUT", "PATCH"):
                req += "Content-Length: %d\r\n" % len(body)
            req += "Connection: close\r\n\r\n"
            up.sendall(req.encode("latin-1") + body)
            head, rest = read_head(up, time.monotonic() + 30)
            code, reason, fields = parse_head(head)
        except (OSError, ValueError) as e:
            up.close()
            return self.fail(503, "ServiceUnavailable",
                             "error trying to reach service: %s: %s" % (hostport, e))
        self.server.streams_open(1)
        try:
            self.relay_body(up, code, reason, fields, rest)
        finally:
            self.server.streams_open(-1)
            up.close()

    def relay_body(self, up, code, reason, fields, rest):
        lower = {k.lower(): v for k, v in fields}
        te = lower.get("transfer-encoding", "").lower()
        no_body = self.command == "HEAD" or code in (204, 304) or 100 <= code < 200
        length = lower.get("content-length")
        if te and te != "chunked":
            return self.fail(502, "BadGateway", "unsupported upstream Transfer-Encoding %s" % te)
        if not te and length is not None and not length.isdigit():
            return self.fail(502, "BadGateway", "bad upstream Content-Length %s" % length)
        self.send_response(code, reason)
        for k, v in fields:
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "date", "server"):
                self.send_header(k, v)
        if no_body:
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            return
        sized = not te and length is not None
        if sized:
            self.send_header("Content-Length", length)
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        decoder = ChunkedDecoder() if te == "chunked" else None
        left = int(length) if sized else None
        pending = rest
        up.settimeout(None)
        while True:
            if pending:
                try:
                    pieces = decoder.feed(pending) if decoder else [pending[:left] if sized else pending]
                except ValueError as e:
                    sys.stderr.write("pods/proxy: upstream framing: %s\n" % e)
                    return   # the client sees the stream cut, as from a real proxy
                for p in pieces:
                    if sized:
                        self.wfile.write(p)
                        left -= len(p)
                    else:
                        self.chunk(p)
                pending = b""
                if (decoder and decoder.done()) or (sized and left == 0):
                    break
            if STOP.is_set():
                return
            r, _, _ = select.select([up, self.connection], [], [], 0.2) if not readable(up) else ([up], [], [])
            if self.connection in r and peer_gone(self.connection):
                return   # the client left: closing upstream ends the stream there too
            if up in r:
                try:
                    pending = up.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue
                except OSError:
                    return
                if not pending:
                    if decoder or sized:
                        return   # cut short upstream: cut short here
                    break        # the body was delimited by the close
        if not sized:
            self.end_chunks()

    # -- control ------------------------------------------------------------
    def control(self, segs):
        store = self.server.store
        if not segs or segs[0] not in STORED:
            return self.fail(404, "NotFound", "control paths: /_test/{%s}" % ",".join(STORED))
        res = segs[0]
        try:
            if self.command == "POST" and len(segs) == 1:
                entry = json.loads(self.read_body() or b"null")
                if not isinstance(entry, dict):
                    raise ValueError("the body must be one JSON object")
                typ, obj = store.put(res, entry)
                return self.send_json(201 if typ == "ADDED" else 200, obj)
            if self.command == "DELETE" and len(segs) in (2, 3):
                ns, name = (segs[1], segs[2]) if len(segs) == 3 else ("", segs[1])
                obj = store.delete(res, ns, name)
                if obj is None:
                    return self.fail(404, "NotFound", '%s "%s" not found' % (res, name))
                return self.send_json(200, obj)
            if self.command == "GET" and len(segs) == 1:
                return self.send_json(200, store.listing(res, None)[0])
        except (ValueError, KeyError, TypeError) as e:
            return self.fail(400, "BadRequest", "bad %s entry: %s" % (res, e))
        self.fail(405, "MethodNotAllowed", "POST /_test/RES, DELETE /_test/RES/[NS/]NAME, GET /_test/RES")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, addr, store, token, tls):
        self.store, self.token, self.tls = store, token, tls
        self._open = 0
        self._open_lock = threading.Condition()
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.address_family = fam
        super().__init__(addr, Handler)

    def server_bind(self):
        # HTTPServer.server_bind looks the address up with getfqdn: a DNS
        # query that, in a test namespace without a resolver, may wait.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls:
            # The handshake happens on the connection's own thread.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def finish_request(self, request, client_address):
        if self.tls:
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                sys.stderr.write("%s TLS handshake failed: %s\n" % (client_address[0], e))
                return
        super().finish_request(request, client_address)

    def streams_open(self, delta):
        with self._open_lock:
            self._open += delta
            self._open_lock.notify_all()

    def wait_streams(self, seconds):
        end = time.monotonic() + seconds
        with self._open_lock:
            while self._open and time.monotonic() < end:
                self._open_lock.wait(0.05)


def load_state(path):
    text = open(path, encoding="utf-8").read()
    try:
        state = json.loads(text)
    except ValueError:
        state = ast.literal_eval(text)
    if not isinstance(state, dict):
        raise ValueError("%s: the state must be a dict" % path)
    unknown = set(state) - set(STORED) - {"namespaces"}
    if unknown:
        raise ValueError("%s: unknown keys %s (known: %s, namespaces)"
                         % (path, sorted(unknown), ", ".join(STORED)))
    return state


def main():
    ap = argparse.ArgumentParser(description="test Kubernetes API server")
    ap.add_argument("--state", required=True)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--server-version", default="v1.28.0")
    a = ap.parse_args()
    try:
        store = Store(a.server_version)
        store.load(load_state(a.state))
    except (OSError, ValueError, SyntaxError, KeyError, TypeError) as e:
        sys.exit("k8s_api.py: bad state file: %s" % e)
    tls = None
    if a.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(a.tls_cert, a.tls_key)
        tls.set_alpn_protocols(["http/1.1"])
    srv = Server((a.listen, a.port), store, a.token, tls)

    def on_signal(signum, frame):
        STOP.set()
        with store.cond:
            store.cond.notify_all()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(srv.server_address[1], flush=True)
    sys.stderr.write("serving %s on %s:%d\n" % ("https" if tls else "http", a.listen, srv.server_address[1]))
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    srv.wait_streams(1.0)   # watches and relays see STOP within 0.2 s and end
    return 0


if __name__ == "__main__":
    sys.exit(main())
