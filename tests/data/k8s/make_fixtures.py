#!/usr/bin/python3
"""Fixtures for common/k8s_answers, workload_selector and capture_plan: what
`kubectl get ... -o json` prints for a small dual-stack cluster. The objects
carry the fields the API server fills in (field structure from the API
reference, https://kubernetes.io/docs/reference/kubernetes-api/), in kubectl's
format: keys sorted, 4-space indent, a final newline
(k8s.io/cli-runtime/pkg/printers/json.go); watch events one compact line each.

The cluster: nodes node-a..node-d (node-d without a ddump worker); the
ddump-worker DaemonSet's pods in namespace ddump (hostNetwork, one on each of
node-a..c, plus a terminating one of a rolling update on node-b); in
namespace shop, pods labelled app=web: two running on node-a, one on node-b,
one unscheduled, one scheduled without an IP yet, one terminating, one on
node-d, one on the host network of node-c, a finished job's pod. Also fleet targets,
one a line (fleet_targets.txt), for the fuzz target's seeds.

kubectl_create_*.json are not written here: they are kubectl 1.32's own
output (typed objects: fields in declaration order), from
  kubectl create deployment web --image=nginx:1.25 --replicas=3 --dry-run=client -o json
  kubectl create service clusterip web --tcp=80:8080 --dry-run=client -o json
Run: /usr/bin/python3 tests/data/k8s/make_fixtures.py"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CREATED = "2025-03-14T09:26:53Z"

NODES = {
    "node-a": ("192.168.10.11", "fd00:192:168:10::11", "203.0.113.11"),
    "node-b": ("192.168.10.12", "fd00:192:168:10::12", None),
    "node-c": ("192.168.10.13", None, None),
    "node-d": ("192.168.10.14", "fd00:192:168:10::14", None),
}


def write(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(json.dumps(obj, indent=4, sort_keys=True) + "\n")


def kube_list(items):
    return {"apiVersion": "v1", "items": items, "kind": "List",
            "metadata": {"resourceVersion": ""}}


def node(name):
    v4, v6, external = NODES[name]
    addresses = [{"address": v4, "type": "InternalIP"}]
    if v6:
        addresses.append({"address": v6, "type": "InternalIP"})
    if external:
        addresses.append({"address": external, "type": "ExternalIP"})
    addresses.append({"address": name, "type": "Hostname"})
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
            "creationTimestamp": "2025-03-01T08:00:00Z",
            "labels": {"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                       "kubernetes.io/os": "linux"},
            "name": name, "resourceVersion": "51020",
            "uid": "6b1f0c2e-0000-4000-8000-" + name[-1] * 12,
        },
        "spec": {"podCIDR": "10.244.%d.0/24" % (ord(name[-1]) - 96),
                 "podCIDRs": ["10.244.%d.0/24" % (ord(name[-1]) - 96),
                              "fd00:10:244:%d::/64" % (ord(name[-1]) - 96)]},
        "status": {
            "addresses": addresses,
            "conditions": [{"lastHeartbeatTime": "2025-03-14T10:00:00Z",
                            "lastTransitionTime": "2025-03-01T08:01:00Z",
                            "message": "kubelet is posting ready status", "reason": "KubeletReady",
                            "status": "True", "type": "Ready"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.24",
                         "kernelVersion": "6.1.0-31-amd64", "kubeletVersion": "v1.32.4",
                         "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)"},
        },
    }


def pod(name, namespace, labels, node_name, ips, phase="Running", host_network=False,
        deleting=False, owner=None, image="nginx:1.25"):
    metadata = {
        "creationTimestamp": CREATED, "labels": labels, "name": name, "namespace": namespace,
        "resourceVersion": "48213", "uid": "0f9e8d7c-1111-4222-8333-" + ("%012x" % len(name)),
    }
    if owner:
        metadata["generateName"] = name[: name.rfind("-") + 1]
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "blockOwnerDeletion": True,
                                        "controller": True, "kind": owner[0], "name": owner[1],
                                        "uid": "aa11bb22-3333-4444-8555-666677778888"}]
    if deleting:
        metadata["deletionGracePeriodSeconds"] = 30
        metadata["deletionTimestamp"] = "2025-03-14T10:02:11Z"
    spec = {
        "containers": [{"image": image, "imagePullPolicy": "IfNotPresent", "name": "main",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}], "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"}],
        "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
        "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
        "restartPolicy": "Always", "schedulerName": "default-scheduler", "securityContext": {},
        "serviceAccount": "default", "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                         "operator": "Exists", "tolerationSeconds": 300}],
    }
    if host_network:
        spec["hostNetwork"] = True
    status = {"phase": phase, "qosClass": "BestEffort"}
    if node_name:
        spec["nodeName"] = node_name
        host = NODES[node_name]
        status["hostIP"] = host[0]
        status["hostIPs"] = [{"ip": a} for a in host[:2] if a]
        status["startTime"] = CREATED
        status["conditions"] = [{"lastProbeTime": None, "lastTransitionTime": CREATED,
                                 "status": "True", "type": "PodScheduled"}]
    else:
        status["conditions"] = [{"lastProbeTime": None, "lastTransitionTime": CREATED,
                                 "message": "0/4 nodes are available: 4 Insufficient memory. "
                                            "preemption: 0/4 nodes are available: 4 No "
                                            "preemption victims found for incoming pod.",
                                 "reason": "Unschedulable", "status": "False",
                                 "type": "PodScheduled"}]
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": a} for a in ips]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec,
            "status": status}


WEB = {"app": "web", "pod-template-hash": "7d4b9c8f6", "tier": "frontend"}
RS = ("ReplicaSet", "web-7d4b9c8f6")


def web_pods():
    return [
        pod("web-7d4b9c8f6-x2k9p", "shop", WEB, "node-a", ["10.244.1.12", "fd00:10:244:1::c"],
            owner=RS),
        pod("web-7d4b9c8f6-b8r4t", "shop", WEB, "node-a", ["10.244.1.9", "fd00:10:244:1::9"],
            owner=RS),
        pod("web-7d4b9c8f6-m5n7q", "shop", WEB, "node-b", ["10.244.2.7", "fd00:10:244:2::7"],
            owner=RS),
        pod("web-7d4b9c8f6-p0v2w", "shop", WEB, None, [], phase="Pending", owner=RS),
        pod("web-7d4b9c8f6-c3k8s", "shop", WEB, "node-c", [], phase="Pending", owner=RS),
        pod("web-7d4b9c8f6-t9f4h", "shop", WEB, "node-b", ["10.244.2.31", "fd00:10:244:2::1f"],
            deleting=True, owner=RS),
        pod("web-7d4b9c8f6-d4j6l", "shop", WEB, "node-d", ["10.244.4.3", "fd00:10:244:4::3"],
            owner=RS),
        pod("web-hostnet-6f5c-h1h2j", "shop", {"app": "web", "net": "host"}, "node-c",
            ["192.168.10.13"], host_network=True),
        pod("web-migrate-x8z7k", "shop", {"app": "web", "job-name": "web-migrate"}, "node-a",
            ["10.244.1.40"], phase="Succeeded"),
    ]


WORKER = {"app.kubernetes.io/name": "ddump-worker", "controller-revision-hash": "5c9d8f7b6",
          "pod-template-generation": "2"}
DS = ("DaemonSet", "ddump-worker")


def worker_pods():
    return [
        pod("ddump-worker-4xk2m", "ddump", WORKER, "node-a", [NODES["node-a"][0],
            NODES["node-a"][1]], host_network=True, owner=DS, image="ddump-worker:latest"),
        pod("ddump-worker-9fj3q", "ddump", WORKER, "node-b", [NODES["node-b"][0],
            NODES["node-b"][1]], host_network=True, owner=DS, image="ddump-worker:latest"),
        pod("ddump-worker-1zz8r", "ddump", WORKER, "node-b", [NODES["node-b"][0],
            NODES["node-b"][1]], host_network=True, deleting=True, owner=DS,
            image="ddump-worker:latest"),
        pod("ddump-worker-bb7wd", "ddump", WORKER, "node-c", [NODES["node-c"][0]],
            host_network=True, owner=DS, image="ddump-worker:latest"),
    ]


def workload(kind, name, namespace, selector, extra_spec=None):
    spec = {"selector": selector,
            "template": {"metadata": {"labels": selector.get("matchLabels", {})},
                         "spec": {"containers": [{"image": "nginx:1.25", "name": "main"}]}}}
    spec.update(extra_spec or {})
    return {"apiVersion": "apps/v1", "kind": kind,
            "metadata": {"annotations": {"deployment.kubernetes.io/revision": "3"}
                         if kind == "Deployment" else {},
                         "creationTimestamp": CREATED, "generation": 3,
                         "labels": selector.get("matchLabels", {}), "name": name,
                         "namespace": namespace, "resourceVersion": "47001",
                         "uid": "d3a0c1b2-5555-4666-8777-%012d" % len(name)},
            "spec": spec, "status": {"observedGeneration": 3}}


def service(name, namespace, selector, cluster_ips):
    spec = {"clusterIP": cluster_ips[0], "clusterIPs": cluster_ips,
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv6" if ":" in a else "IPv4" for a in cluster_ips if a != "None"],
            "ipFamilyPolicy": "PreferDualStack" if len(cluster_ips) > 1 else "SingleStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
            "sessionAffinity": "None", "type": "ClusterIP"}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"creationTimestamp": CREATED, "name": name, "namespace": namespace,
                         "resourceVersion": "40011", "uid": "5e6f7a8b-9999-4aaa-8bbb-cccccccccccc"},
            "spec": spec, "status": {"loadBalancer": {}}}


def watch_line(event_type, obj):
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":"),
                      sort_keys=False) + "\n"


# Fleet targets, one per line, as seeds for tests/fuzz/fuzz_k8s_answers.
TARGETS = [
    "dns:workers.example.com", "dns:ddump-worker.ddump.svc.cluster.local.:8443",
    "k8s:deploy/web", "k8s:shop/deploy/web", "k8s:shop/app=checkout",
    "k8s:app.kubernetes.io/name=web", "k8s:kube-system/ds/kube-proxy",
    "k8s:shop/sts/db", "k8s:svc/web", "k8s:pod/web-7d4b9c8f6-x2k9p",
    "k8s:app=web,tier!=db", "k8s:env in (a,b),!legacy,tier", "k8s:shop/env notin (prod)",
]


def main():
    with open(os.path.join(HERE, "fleet_targets.txt"), "w") as f:
        f.write("\n".join(TARGETS) + "\n")
    pods = web_pods()
    write("pods_web.json", kube_list(pods))
    write("pod_running.json", pods[0])
    write("pods_workers.json", kube_list(worker_pods()))
    write("nodes.json", kube_list([node(n) for n in NODES]))
    write("deployment_web.json", workload(
        "Deployment", "web", "shop",
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
                              {"key": "legacy", "operator": "DoesNotExist"}],
         "matchLabels": {"app": "web"}},
        {"replicas": 6, "strategy": {"rollingUpdate": {"maxSurge": "25%",
                                                       "maxUnavailable": "25%"},
                                     "type": "RollingUpdate"}}))
    write("statefulset_db.json", workload(
        "StatefulSet", "db", "shop",
        {"matchLabels": {"app.kubernetes.io/instance": "db",
                         "app.kubernetes.io/name": "postgres"}},
        {"replicas": 3, "serviceName": "db"}))
    write("daemonset_worker.json", workload(
        "DaemonSet", "ddump-worker", "ddump",
        {"matchLabels": {"app.kubernetes.io/name": "ddump-worker"}}))
    write("service_web.json", service("web", "shop", {"app": "web"},
                                      ["10.96.120.14", "fd00:10:96::7a2e"]))
    write("service_no_selector.json", service("legacy-db", "shop", None, ["10.96.44.3"]))
    write("service_headless.json", service("ddump-worker", "ddump",
                                           {"app.kubernetes.io/name": "ddump-worker"}, ["None"]))
    moved = copy.deepcopy(pods[2])
    moved["metadata"]["resourceVersion"] = "48377"
    gone = copy.deepcopy(pods[0])
    gone["metadata"]["deletionTimestamp"] = "2025-03-14T10:05:00Z"
    status = {"apiVersion": "v1", "code": 410, "kind": "Status",
              "message": "too old resource version: 40000 (48100)", "metadata": {},
              "reason": "Expired", "status": "Failure"}
    with open(os.path.join(HERE, "watch_pods.ndjson"), "w") as f:
        f.write(watch_line("ADDED", pods[0]) + watch_line("MODIFIED", moved) +
                watch_line("DELETED", gone) +
                watch_line("BOOKMARK", {"apiVersion": "v1", "kind": "Pod",
                                        "metadata": {"resourceVersion": "48400"}}) +
                watch_line("ERROR", status))


if __name__ == "__main__":
    main()
