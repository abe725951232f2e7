"""The objects of k8s_api.py's test cluster: the resources discovery lists,
the short forms of the state file made whole in the JSON shapes of the
Kubernetes API reference (https://kubernetes.io/docs/reference/kubernetes-api/),
the objects derived from them (Endpoints, Namespaces, workload status), the
store with one resourceVersion counter and every event since start, and the
Tables kubectl prints for humans."""
import copy
import datetime
import os
import re
import threading
import uuid

from k8s_selectors import labels_match, label_selector_reqs

DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Resources: what discovery lists and the paths serve
# ---------------------------------------------------------------------------


class Resource:
    def __init__(self, name, singular, kind, group, namespaced, short, categories=()):
        self.name, self.singular, self.kind, self.group = name, singular, kind, group
        self.namespaced, self.short, self.categories = namespaced, short, list(categories)
        self.version = "v1"
        self.api_version = (group + "/v1") if group else "v1"

    def discovery(self):
        verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        d = {"name": self.name, "singularName": self.singular, "namespaced": self.namespaced,
             "kind": self.kind, "verbs": verbs}
        if self.short:
            d["shortNames"] = list(self.short)
        if self.categories:
            d["categories"] = self.categories
        return d

    def qualified(self):
        """How the API server names the resource in messages: pods, deployments.apps."""
        return self.name + ("." + self.group if self.group else "")


RESOURCES = [
    Resource("pods", "pod", "Pod", "", True, ["po"], ["all"]),
    Resource("nodes", "node", "Node", "", False, ["no"]),
    Resource("services", "service", "Service", "", True, ["svc"], ["all"]),
    Resource("endpoints", "endpoints", "Endpoints", "", True, ["ep"]),
    Resource("namespaces", "namespace", "Namespace", "", False, ["ns"]),
    Resource("deployments", "deployment", "Deployment", "apps", True, ["deploy"], ["all"]),
    Resource("statefulsets", "statefulset", "StatefulSet", "apps", True, ["sts"], ["all"]),
    Resource("daemonsets", "daemonset", "DaemonSet", "apps", True, ["ds"], ["all"]),
    Resource("replicasets", "replicaset", "ReplicaSet", "apps", True, ["rs"], ["all"]),
]
BY_NAME = {r.name: r for r in RESOURCES}
STORED = ["nodes", "pods", "services", "deployments", "statefulsets", "daemonsets", "replicasets"]
WORKLOADS = ["deployments", "statefulsets", "daemonsets", "replicasets"]
# Subresources discovery announces (kubectl proxy and clients look for them).
SUBRESOURCES = {
    "pods": [("pods/proxy", "PodProxyOptions", ["create", "delete", "get", "patch", "update"]),
             ("pods/log", "Pod", ["get"]), ("pods/status", "Pod", ["get", "patch", "update"])],
    "nodes": [("nodes/proxy", "NodeProxyOptions", ["create", "delete", "get", "patch", "update"])],
    "services": [("services/proxy", "ServiceProxyOptions",
                  ["create", "delete", "get", "patch", "update"])],
}


def resource_list(group):
    out = []
    for r in RESOURCES:
        if r.group != group:
            continue
        out.append(r.discovery())
        for name, kind, verbs in SUBRESOURCES.get(r.name, []):
            out.append({"name": name, "singularName": "", "namespaced": r.namespaced,
                        "kind": kind, "verbs": verbs})
    gv = (group + "/v1") if group else "v1"
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}


def api_group(name):
    gv = {"groupVersion": name + "/v1", "version": "v1"}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [gv],
            "preferredVersion": gv}


# ---------------------------------------------------------------------------
# Objects: the short forms of the state file made whole
# ---------------------------------------------------------------------------


def _pod_fields(o):
    spec, st = o.get("spec", {}), o.get("status", {})
    return {"spec.nodeName": spec.get("nodeName", ""),
            "spec.restartPolicy": spec.get("restartPolicy", ""),
            "spec.schedulerName": spec.get("schedulerName", ""),
            "spec.serviceAccountName": spec.get("serviceAccountName", ""),
            "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
            "status.phase": st.get("phase", ""), "status.podIP": st.get("podIP", ""),
            "status.nominatedNodeName": st.get("nominatedNodeName", "")}


def object_fields(res, o):
    """The field labels the API server lets a fieldSelector use, per resource."""
    m = o.get("metadata", {})
    f = {"metadata.name": m.get("name", "")}
    if BY_NAME[res].namespaced:
        f["metadata.namespace"] = m.get("namespace", "")
    if res == "pods":
        f.update(_pod_fields(o))
    elif res == "nodes":
        f["spec.unschedulable"] = "true" if o.get("spec", {}).get("unschedulable") else "false"
    elif res == "namespaces":
        f["status.phase"] = o.get("status", {}).get("phase", "")
    elif res == "services":
        f["spec.clusterIP"] = o.get("spec", {}).get("clusterIP", "")
        f["spec.type"] = o.get("spec", {}).get("type", "")
    return f


def _uid(res, ns, name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "k8s-test/%s/%s/%s" % (res, ns or "", name)))


def _meta(res, e, namespaced):
    m = {"name": e["name"], "uid": _uid(res, e.get("namespace", "default") if namespaced else "", e["name"]),
         "creationTimestamp": now_rfc3339()}
    if namespaced:
        m["namespace"] = e.get("namespace", "default")
    for k in ("labels", "annotations"):
        if e.get(k):
            m[k] = dict(e[k])
    return m


def _ips(v):
    return [] if v is None else ([v] if isinstance(v, str) else list(v))


def _container_ports(e):
    out = []
    for p in e.get("ports", []):
        if isinstance(p, dict):
            q = {"containerPort": int(p["containerPort"]), "protocol": p.get("protocol", "TCP")}
            if p.get("name"):
                q["name"] = p["name"]
            out.append(q)
        else:
            out.append({"containerPort": int(p), "protocol": "TCP"})
    return out


def _container(e, default_name):
    c = {"name": e.get("container", default_name), "image": e.get("image", "registry.test/%s:1" % default_name),
         "imagePullPolicy": "IfNotPresent", "resources": {},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    ports = _container_ports(e)
    if ports:
        c["ports"] = ports
    return c


def node_internal_ips(node):
    if not node:
        return []
    return [a["address"] for a in node.get("status", {}).get("addresses", []) if a.get("type") == "InternalIP"]


def build_node(e, store):
    m = _meta("nodes", e, False)
    m["labels"] = {"kubernetes.io/hostname": e["name"], "kubernetes.io/os": "linux",
                   "kubernetes.io/arch": "amd64", **e.get("labels", {})}
    addrs = [{"type": "InternalIP", "address": a} for a in _ips(e.get("internalIP"))]
    addrs += [{"type": "ExternalIP", "address": a} for a in _ips(e.get("externalIP"))]
    addrs.append({"type": "Hostname", "address": e["name"]})
    ready = e.get("ready", True)
    ts = m["creationTimestamp"]
    return {"apiVersion": "v1", "kind": "Node", "metadata": m,
            "spec": {"unschedulable": True} if e.get("unschedulable") else {},
            "status": {"addresses": addrs,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "reason": "KubeletReady" if ready else "KubeletNotReady",
                                       "message": "kubelet is posting ready status" if ready else "kubelet stopped posting node status",
                                       "lastHeartbeatTime": ts, "lastTransitionTime": ts}],
                       "capacity": {"cpu": "2", "memory": "4026532Ki", "pods": "110"},
                       "allocatable": {"cpu": "2", "memory": "3924132Ki", "pods": "110"},
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                       "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "kernelVersion": os.uname().release,
                                    "containerRuntimeVersion": "containerd://1.6.20",
                                    "kubeletVersion": store.version, "kubeProxyVersion": store.version,
                                    "machineID": "", "systemUUID": "", "bootID": ""}}}


def build_pod(e, store):
    m = _meta("pods", e, True)
    node_name = e.get("node", "")
    node = store.objects["nodes"].get(("", node_name)) if node_name else None
    host_ips = node_internal_ips(node)
    host_net = bool(e.get("hostNetwork", False))
    ips = _ips(e.get("ips", e.get("ip")))
    if not ips and host_net:
        ips = list(host_ips)
    phase = e.get("phase", "Running")
    ready = bool(e.get("ready", phase == "Running"))
    if e.get("terminating"):
        # Being deleted: the API server sets these when the delete is asked.
        m["deletionTimestamp"] = m["creationTimestamp"]
        m["deletionGracePeriodSeconds"] = 30
    if e.get("owner"):
        owner = e["owner"]
        group = "apps/v1" if owner["kind"] in ("ReplicaSet", "StatefulSet", "DaemonSet", "Deployment") else "v1"
        ores = owner["kind"].lower() + "s"
        m["ownerReferences"] = [{"apiVersion": group, "kind": owner["kind"], "name": owner["name"],
                                 "uid": _uid(ores, m["namespace"], owner["name"]),
                                 "controller": True, "blockOwnerDeletion": True}]
    container = _container(e, "main")
    spec = {"containers": [container], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler", "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30, "enableServiceLinks": True}
    if node_name:
        spec["nodeName"] = node_name
    if host_net:
        spec["hostNetwork"] = True
    ts = m["creationTimestamp"]
    cond = "True" if ready else "False"
    status = {"phase": phase, "qosClass": "BestEffort",
              "conditions": [{"type": t, "status": "True" if t in ("Initialized", "PodScheduled") else cond,
                              "lastProbeTime": None, "lastTransitionTime": ts}
                             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]}
    if node_name:
        status["startTime"] = ts
        state = {"running": {"startedAt": ts}} if phase == "Running" else {"waiting": {"reason": "ContainerCreating"}}
        status["containerStatuses"] = [{"name": container["name"], "image": container["image"],
                                        "imageID": "", "ready": ready, "started": phase == "Running",
                                        "restartCount": 0, "state": state, "lastState": {},
                                        "containerID": "containerd://" + m["uid"].replace("-", "")}]
    if host_ips:
        status["hostIP"] = host_ips[0]
        status["hostIPs"] = [{"ip": a} for a in host_ips]
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": a} for a in ips]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": status}


def build_service(e, store):
    m = _meta("services", e, True)
    cip = e.get("clusterIP", "10.96.0.%d" % (1 + len(store.objects["services"]) % 250))
    ports = []
    for p in e.get("ports", []):
        if isinstance(p, dict):
            q = {"protocol": p.get("protocol", "TCP"), "port": int(p["port"]),
                 "targetPort": p.get("targetPort", int(p["port"]))}
            if p.get("name"):
                q["name"] = p["name"]
        else:
            q = {"protocol": "TCP", "port": int(p), "targetPort": int(p)}
        ports.append(q)
    family = "IPv6" if ":" in cip else "IPv4"
    spec = {"type": e.get("type", "ClusterIP"), "clusterIP": cip, "clusterIPs": [cip],
            "ports": ports, "sessionAffinity": "None", "ipFamilies": [family],
            "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}
    if e.get("selector"):
        spec["selector"] = dict(e["selector"])
    return {"apiVersion": "v1", "kind": "Service", "metadata": m, "spec": spec,
            "status": {"loadBalancer": {}}}


def build_workload(res, e, store):
    kind = BY_NAME[res].kind
    m = _meta(res, e, True)
    match = dict(e.get("matchLabels", {}))
    sel = {"matchLabels": match} if match else {}
    if e.get("matchExpressions"):
        sel["matchExpressions"] = [dict(x) for x in e["matchExpressions"]]
    m.setdefault("labels", dict(e.get("labels", match)))
    if not m["labels"]:
        del m["labels"]
    tmpl_spec = {"containers": [_container(e, e["name"])], "restartPolicy": "Always",
                 "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                 "terminationGracePeriodSeconds": 30}
    if e.get("nodeSelector"):
        tmpl_spec["nodeSelector"] = dict(e["nodeSelector"])
    if e.get("hostNetwork"):
        tmpl_spec["hostNetwork"] = True
    tmpl = {"metadata": {"creationTimestamp": None, "labels": dict(e.get("templateLabels", match))},
            "spec": tmpl_spec}
    spec = {"selector": sel, "template": tmpl, "revisionHistoryLimit": 10}
    if res != "daemonsets":
        spec["replicas"] = int(e.get("replicas", 1))
    if res == "deployments":
        spec["strategy"] = {"type": "RollingUpdate",
                            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
        spec["progressDeadlineSeconds"] = 600
    elif res == "statefulsets":
        spec["serviceName"] = e.get("serviceName", e["name"])
        spec["podManagementPolicy"] = "OrderedReady"
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    elif res == "daemonsets":
        spec["updateStrategy"] = {"type": "RollingUpdate",
                                  "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    m["generation"] = 1
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": m, "spec": spec, "status": {}}


def pod_ready(p):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in p.get("status", {}).get("conditions", []))


def workload_status(res, o, store):
    ns = o["metadata"].get("namespace", "")
    reqs = label_selector_reqs(o["spec"].get("selector"))
    # An empty selector selects nothing here (apps/v1 requires one anyway).
    pods = [p for (pns, _), p in store.objects["pods"].items()
            if reqs and pns == ns and labels_match(reqs, p["metadata"].get("labels"))]
    n, ready = len(pods), sum(1 for p in pods if pod_ready(p))
    st = {"observedGeneration": 1}
    if res == "daemonsets":
        node_sel = [(k, "in", [v]) for k, v in
                    o["spec"]["template"]["spec"].get("nodeSelector", {}).items()]
        desired = sum(1 for nd in store.objects["nodes"].values()
                      if labels_match(node_sel, nd["metadata"].get("labels")))
        st.update({"desiredNumberScheduled": desired, "currentNumberScheduled": n,
                   "numberMisscheduled": 0, "numberReady": ready, "numberAvailable": ready,
                   "updatedNumberScheduled": n})
        if desired - ready > 0:
            st["numberUnavailable"] = desired - ready
        return st
    # Zero counts are left out, as the API server's omitempty leaves them out.
    for key, val in (("replicas", n), ("readyReplicas", ready), ("availableReplicas", ready),
                     ("updatedReplicas", n), ("currentReplicas", n), ("fullyLabeledReplicas", n)):
        if key == "currentReplicas" and res != "statefulsets":
            continue
        if key == "fullyLabeledReplicas" and res != "replicasets":
            continue
        if key == "updatedReplicas" and res == "replicasets":
            continue
        if val:
            st[key] = val
    if res == "statefulsets":
        st["collisionCount"] = 0
    return st


def derived_endpoints(store):
    out = {}
    for (ns, name), svc in store.objects["services"].items():
        sel = svc["spec"].get("selector")
        m = {"name": name, "namespace": ns, "uid": _uid("endpoints", ns, name),
             "creationTimestamp": svc["metadata"]["creationTimestamp"]}
        if svc["metadata"].get("labels"):
            m["labels"] = dict(svc["metadata"]["labels"])
        ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": m}
        if sel:
            reqs = [(k, "in", [v]) for k, v in sorted(sel.items())]
            ready, not_ready, pods = [], [], []
            for (pns, pname), p in sorted(store.objects["pods"].items()):
                if pns != ns or not labels_match(reqs, p["metadata"].get("labels")):
                    continue
                ip = p.get("status", {}).get("podIP")
                if not ip:
                    continue
                a = {"ip": ip, "targetRef": {"kind": "Pod", "namespace": ns, "name": pname,
                                             "uid": p["metadata"]["uid"]}}
                if p["spec"].get("nodeName"):
                    a["nodeName"] = p["spec"]["nodeName"]
                (ready if pod_ready(p) else not_ready).append(a)
                pods.append(p)
            ports = []
            for sp in svc["spec"].get("ports", []):
                port = _target_port(sp.get("targetPort", sp["port"]), pods)
                if port is not None:
                    q = {"port": port, "protocol": sp.get("protocol", "TCP")}
                    if sp.get("name"):
                        q["name"] = sp["name"]
                    ports.append(q)
            if ready or not_ready:
                subset = {"ports": ports} if ports else {}
                if ready:
                    subset["addresses"] = ready
                if not_ready:
                    subset["notReadyAddresses"] = not_ready
                ep["subsets"] = [subset]
        out[(ns, name)] = ep
    return out


def _target_port(target, pods):
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for p in pods:
        for c in p["spec"].get("containers", []):
            for cp in c.get("ports", []):
                if cp.get("name") == target:
                    return cp["containerPort"]
    return None


def derived_namespaces(store, old):
    names = set(DEFAULT_NAMESPACES) | set(store.extra_namespaces)
    for res in STORED:
        if BY_NAME[res].namespaced:
            names |= {ns for ns, _ in store.objects[res]}
    out = {}
    for n in sorted(names):
        if ("", n) in old:
            out[("", n)] = old[("", n)]
            continue
        out[("", n)] = {"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": n, "uid": _uid("namespaces", "", n),
                                     "creationTimestamp": now_rfc3339(),
                                     "labels": {"kubernetes.io/metadata.name": n}},
                        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    return out


# ---------------------------------------------------------------------------
# The store: objects, one resourceVersion counter, every event since start
# ---------------------------------------------------------------------------


_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def check_entry(res, e):
    """A short-form entry's names and labels: what the objects' paths,
    selectors and sorting rely on (names as RFC 1123 subdomains)."""
    what = BY_NAME[res].singular
    for key in ("name", "namespace"):
        v = e.get(key, "default")
        if not isinstance(v, str) or len(v) > 253 or not _NAME_RE.match(v):
            raise ValueError("a %s entry's %s must be a DNS subdomain, got %r" % (what, key, v))
    for key in ("labels", "annotations", "matchLabels", "selector", "templateLabels", "nodeSelector"):
        v = e.get(key, {})
        if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str)
                                              for k, x in v.items()):
            raise ValueError("a %s entry's %s must map strings to strings" % (what, key))


class Store:
    def __init__(self, version):
        self.version = version
        self.cond = threading.Condition()
        self.rv = 1
        self.objects = {r.name: {} for r in RESOURCES}
        self.fixed_status = set()   # (res, ns, name) of whole objects: status as given
        self.events = []            # (rv, res, type, object, previous object)
        self.event_rvs = []
        self.extra_namespaces = []

    @staticmethod
    def key(res, obj):
        m = obj["metadata"]
        return (m.get("namespace", "") if BY_NAME[res].namespaced else "", m["name"])

    def _record(self, res, typ, obj, old):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self.events.append((self.rv, res, typ, copy.deepcopy(obj), old))
        self.event_rvs.append(self.rv)

    def _build(self, res, entry):
        if "metadata" in entry:
            obj = copy.deepcopy(entry)
            r = BY_NAME[res]
            obj.setdefault("apiVersion", r.api_version)
            obj.setdefault("kind", r.kind)
            m = obj["metadata"]
            if r.namespaced:
                m.setdefault("namespace", "default")
            m.setdefault("uid", _uid(res, m.get("namespace", ""), m["name"]))
            m.setdefault("creationTimestamp", now_rfc3339())
            return obj, "status" in entry
        check_entry(res, entry)
        if res == "nodes":
            return build_node(entry, self), False
        if res == "pods":
            return build_pod(entry, self), False
        if res == "services":
            return build_service(entry, self), False
        return build_workload(res, entry, self), False

    def put(self, res, entry):
        """Adds or replaces one object; returns (event type, object)."""
        with self.cond:
            obj, fixed = self._build(res, entry)
            k = self.key(res, obj)
            old = self.objects[res].get(k)
            if old is not None:
                obj["metadata"]["uid"] = old["metadata"]["uid"]
                obj["metadata"]["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            (self.fixed_status.add if fixed else self.fixed_status.discard)((res,) + k)
            if res in WORKLOADS and not fixed:
                obj["status"] = workload_status(res, obj, self)
            typ = "ADDED" if old is None else "MODIFIED"
            self.objects[res][k] = obj
            self._record(res, typ, obj, old)
            self._refresh_derived()
            self.cond.notify_all()
            return typ, copy.deepcopy(obj)

    def delete(self, res, ns, name):
        with self.cond:
            k = (ns if BY_NAME[res].namespaced else "", name)
            obj = self.objects[res].pop(k, None)
            if obj is None:
                return None
            self.fixed_status.discard((res,) + k)
            old = copy.deepcopy(obj)
            self._record(res, "DELETED", obj, old)
            self._refresh_derived()
            self.cond.notify_all()
            return copy.deepcopy(obj)

    def _refresh_derived(self):
        """Endpoints, namespaces and workload statuses follow the objects they
        are made of; a change is a new resourceVersion and an event."""
        for res in WORKLOADS:
            for k, o in list(self.objects[res].items()):
                if (res,) + k in self.fixed_status:
                    continue
                st = workload_status(res, o, self)
                if st != o.get("status"):
                    old = copy.deepcopy(o)
                    o["status"] = st
                    self._record(res, "MODIFIED", o, old)
        for res, new in (("endpoints", derived_endpoints(self)),
                         ("namespaces", derived_namespaces(self, self.objects["namespaces"]))):
            cur = self.objects[res]
            for k in [k for k in cur if k not in new]:
                o = cur.pop(k)
                self._record(res, "DELETED", o, copy.deepcopy(o))
            for k, o in new.items():
                if k not in cur:
                    cur[k] = o
                    self._record(res, "ADDED", o, None)
                elif _without_rv(cur[k]) != _without_rv(o):
                    old = cur[k]
                    cur[k] = o
                    self._record(res, "MODIFIED", o, old)

    def load(self, state):
        self.extra_namespaces = list(state.get("namespaces", []))
        for res in STORED:
            for entry in state.get(res, []):
                self.put(res, entry)
        with self.cond:
            self._refresh_derived()

    def listing(self, res, ns):
        with self.cond:
            items = [copy.deepcopy(o) for k, o in sorted(self.objects[res].items())
                     if ns is None or k[0] == ns]
            return items, self.rv

    def get(self, res, ns, name):
        with self.cond:
            o = self.objects[res].get((ns if BY_NAME[res].namespaced else "", name))
            return copy.deepcopy(o) if o is not None else None


def _without_rv(o):
    o = copy.deepcopy(o)
    o["metadata"].pop("resourceVersion", None)
    return o


# ---------------------------------------------------------------------------
# Tables (meta.k8s.io/v1 Table, what kubectl prints for humans)
# ---------------------------------------------------------------------------


def _age(ts):
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    s = max(0, int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()))
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n:
            return "%d%s" % (s // n, unit)
    return "%ds" % s


def _col(name, typ="string", priority=0, fmt=""):
    return {"name": name, "type": typ, "format": fmt, "description": name, "priority": priority}


def _pod_cells(o):
    st = o.get("status", {})
    cs = st.get("containerStatuses", [])
    ready = "%d/%d" % (sum(1 for c in cs if c.get("ready")), len(o["spec"].get("containers", [])))
    return [ready, st.get("phase", ""), sum(c.get("restartCount", 0) for c in cs),
            _age(o["metadata"].get("creationTimestamp")), st.get("podIP", "<none>"),
            o["spec"].get("nodeName", "<none>")]


def _svc_cells(o):
    s = o["spec"]
    ports = ",".join("%d/%s" % (p["port"], p.get("protocol", "TCP")) for p in s.get("ports", []))
    sel = ",".join("%s=%s" % kv for kv in sorted(s.get("selector", {}).items()))
    return [s.get("type", ""), s.get("clusterIP", ""), "<none>", ports or "<none>",
            _age(o["metadata"].get("creationTimestamp")), sel or "<none>"]


def _node_cells(o):
    st = o.get("status", {})
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", []))
    ext = [a["address"] for a in st.get("addresses", []) if a["type"] == "ExternalIP"]
    internal = node_internal_ips(o)
    return ["Ready" if ready else "NotReady", "<none>", _age(o["metadata"].get("creationTimestamp")),
            st.get("nodeInfo", {}).get("kubeletVersion", ""),
            internal[0] if internal else "<none>", ext[0] if ext else "<none>"]


def _endpoints_cells(o):
    ips = ["%s:%d" % (a["ip"], p["port"]) for s in o.get("subsets", [])
           for a in s.get("addresses", []) for p in (s.get("ports") or [{"port": 0}])]
    return [",".join(ips) or "<none>", _age(o["metadata"].get("creationTimestamp"))]


def _workload_cells(res, o):
    st, age = o.get("status", {}), _age(o["metadata"].get("creationTimestamp"))
    want = o["spec"].get("replicas", 0)
    if res == "deployments":
        return ["%d/%d" % (st.get("readyReplicas", 0), want), st.get("updatedReplicas", 0),
                st.get("availableReplicas", 0), age]
    if res == "statefulsets":
        return ["%d/%d" % (st.get("readyReplicas", 0), want), age]
    if res == "replicasets":
        return [want, st.get("replicas", 0), st.get("readyReplicas", 0), age]
    sel = ",".join("%s=%s" % kv for kv in sorted(
        o["spec"]["template"]["spec"].get("nodeSelector", {}).items()))
    return [st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0), st.get("updatedNumberScheduled", 0),
            st.get("numberAvailable", 0), sel or "<none>", age]


TABLES = {
    "pods": ([_col("Ready"), _col("Status"), _col("Restarts", "integer"), _col("Age"),
              _col("IP", priority=1), _col("Node", priority=1)], _pod_cells),
    "nodes": ([_col("Status"), _col("Roles"), _col("Age"), _col("Version"),
               _col("Internal-IP", priority=1), _col("External-IP", priority=1)], _node_cells),
    "services": ([_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"),
                  _col("Age"), _col("Selector", priority=1)], _svc_cells),
    "endpoints": ([_col("Endpoints"), _col("Age")], _endpoints_cells),
    "namespaces": ([_col("Status"), _col("Age")],
                   lambda o: [o["status"]["phase"], _age(o["metadata"].get("creationTimestamp"))]),
    "deployments": ([_col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"),
                     _col("Age")], lambda o: _workload_cells("deployments", o)),
    "statefulsets": ([_col("Ready"), _col("Age")], lambda o: _workload_cells("statefulsets", o)),
    "replicasets": ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                     _col("Age")], lambda o: _workload_cells("replicasets", o)),
    "daemonsets": ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                    _col("Up-to-date", "integer"), _col("Available", "integer"),
                    _col("Node Selector"), _col("Age")], lambda o: _workload_cells("daemonsets", o)),
}


def to_table(res, objs, rv, include, headers=True):
    cols, cells = TABLES[res]
    rows = []
    for o in objs:
        row = {"cells": [o["metadata"]["name"]] + cells(o)}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": o["metadata"]}
        rows.append(row)
    t = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(rv)},
         "rows": rows}
    if headers:
        t["columnDefinitions"] = [_col("Name", fmt="name")] + cols
    return t
