#!/usr/bin/env python3
"""A pod of deploy/kubernetes/ run as the kubelet and runc would run it, for
tests/e2e/test_deploy_container.sh, without a container engine (podman run
cannot start containers on the test machines).

Everything about the pod comes from the manifests and the images, never from
a copy: the containers' command lines (Kubernetes' command/args over the
image's ENTRYPOINT/CMD), users, groups, capabilities, volumes, probes.

  deploy_pod.py prepare MANIFESTS_DIR POD_DIR IMAGES_JSON SECRET_YAML...
      Reads the objects of MANIFESTS_DIR/kustomization.yaml's resources,
      materializes the DaemonSet's volumes under POD_DIR/volumes (emptyDir,
      ConfigMap, Secret, with the modes and fsGroup ownership the kubelet
      gives them) and writes POD_DIR/pod.json: one resolved spec per
      container. IMAGES_JSON maps each image name to {"rootfs": DIR,
      "config": the image's config (podman image inspect .Config)}.
  deploy_pod.py run POD_JSON CONTAINER [-- ARGV...]
      Runs the container's command (or ARGV, as an exec probe or a
      HEALTHCHECK runs in the container) in the calling network namespace.
      Call it in a fresh mount namespace (unshare --mount): it bind-mounts
      the image's root (read-only with readOnlyRootFilesystem), /proc, /sys,
      a /dev as runc makes it, and the volumes; chroots; limits the bounding
      set to the added capabilities (drop: [ALL] only); sets no_new_privs
      unless privilege escalation is allowed; gives the standard streams to
      the container's user (as runc does); takes the user and groups; execs.
  deploy_pod.py probe POD_JSON CONTAINER PROBE POD_IP
      Runs the container's PROBE (livenessProbe, readinessProbe) once, as
      the kubelet does: exec (exit status 0), httpGet (status 200-399; host
      defaults to the pod's IP) or tcpSocket (a connection). Prints
      "success" or "failure: WHY"; exit status 0 or 1.

Not emulated: cgroups (resources), seccomp, a PID namespace.
"""
import ctypes
import json
import os
import socket
import stat
import subprocess
import sys
import urllib.error
import urllib.request

import yaml

PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
CAPS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4,
        "KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9,
        "NET_BIND_SERVICE": 10, "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13,
        "IPC_LOCK": 14, "IPC_OWNER": 15, "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18,
        "SYS_PTRACE": 19, "SYS_PACCT": 20, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23,
        "SYS_RESOURCE": 24, "SYS_TIME": 25, "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28,
        "AUDIT_WRITE": 29, "AUDIT_CONTROL": 30, "SETFCAP": 31}


def die(msg):
    sys.exit("deploy_pod.py: " + msg)


# --- prepare -----------------------------------------------------------------

def load_objects(manifests):
    kust = yaml.safe_load(open(os.path.join(manifests, "kustomization.yaml")))
    objs = []
    for res in kust["resources"]:
        objs += [d for d in yaml.safe_load_all(open(os.path.join(manifests, res))) if d]
    return objs


def one(objs, kind, name=None):
    found = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(found) != 1:
        die("expected one %s%s, found %d" % (kind, " " + name if name else "", len(found)))
    return found[0]


def write_files(directory, files, mode, gid):
    """A ConfigMap or Secret volume: one file per key, root:fsGroup."""
    os.makedirs(directory)
    for key, data in files.items():
        path = os.path.join(directory, key)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, 0, gid if gid is not None else 0)
        os.chmod(path, mode if gid is None else mode | 0o040)
    os.chmod(directory, 0o755)


def secret_files(secret):
    import base64
    files = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    files.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    return files


def make_volumes(pod, objs, secrets, pod_dir, fs_group):
    dirs = {}
    for vol in pod.get("volumes", []):
        path = os.path.join(pod_dir, "volumes", vol["name"])
        if "emptyDir" in vol:
            # kubelet: 0777; with fsGroup, group-owned and setgid.
            os.makedirs(path)
            if fs_group is not None:
                os.chown(path, 0, fs_group)
            os.chmod(path, 0o777 | (stat.S_ISGID if fs_group is not None else 0))
        elif "configMap" in vol:
            cm = one(objs, "ConfigMap", vol["configMap"]["name"])
            files = {k: v.encode() for k, v in cm.get("data", {}).items()}
            write_files(path, files, vol["configMap"].get("defaultMode", 0o644), fs_group)
        elif "secret" in vol:
            name = vol["secret"]["secretName"]
            if name not in secrets:
                die("the pod mounts Secret %s, which the test was not given" % name)
            write_files(path, secret_files(secrets[name]), vol["secret"].get("defaultMode", 0o644),
                        fs_group)
        else:
            die("volume %s: unsupported type" % vol["name"])
        dirs[vol["name"]] = path
    return dirs


def resolve_command(c, config):
    """Kubernetes: command replaces ENTRYPOINT (and drops CMD), args replaces CMD."""
    entry = config.get("Entrypoint") or []
    cmd = config.get("Cmd") or []
    if "command" in c:
        return c["command"] + c.get("args", [])
    return entry + (c["args"] if "args" in c else cmd)


def resolve_container(c, pod, images, vols):
    image = images.get(c["image"])
    if image is None:
        die("container %s: image %s was not built" % (c["name"], c["image"]))
    config = image["config"]
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    user = (config.get("User") or "0").split(":")
    uid = csc.get("runAsUser", psc.get("runAsUser", int(user[0])))
    gid = csc.get("runAsGroup", psc.get("runAsGroup", int(user[1]) if len(user) > 1 else 0))
    if csc.get("runAsNonRoot", psc.get("runAsNonRoot")) and uid == 0:
        die("container %s: runAsNonRoot with uid 0 (the kubelet refuses to start it)" % c["name"])
    caps = csc.get("capabilities", {})
    if caps.get("drop") != ["ALL"]:
        die("container %s: the runner knows capabilities with drop: [ALL] only" % c["name"])
    groups = ([psc["fsGroup"]] if "fsGroup" in psc else []) + psc.get("supplementalGroups", [])
    env = dict(e.split("=", 1) for e in config.get("Env") or [])
    env.update({e["name"]: e["value"] for e in c.get("env", [])})
    return {
        "name": c["name"],
        "rootfs": image["rootfs"],
        "argv": resolve_command(c, config),
        "uid": uid, "gid": gid, "groups": groups,
        "caps": caps.get("add", []),
        "no_new_privs": csc.get("allowPrivilegeEscalation", True) is False,
        "read_only_root": csc.get("readOnlyRootFilesystem", False) is True,
        "mounts": [{"source": vols[m["name"]], "path": m["mountPath"],
                    "read_only": m.get("readOnly", False)} for m in c.get("volumeMounts", [])],
        "env": env,
        "workdir": c.get("workingDir") or config.get("WorkingDir") or "/",
        "ports": {p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p},
        "probes": {k: c[k] for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in c},
    }


def prepare(manifests, pod_dir, images_json, secret_files_):
    objs = load_objects(manifests)
    images = json.load(open(images_json))
    secrets = {}
    for f in secret_files_:
        s = yaml.safe_load(open(f))
        secrets[s["metadata"]["name"]] = s
    ds = one(objs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    fs_group = pod.get("securityContext", {}).get("fsGroup")
    vols = make_volumes(pod, objs, secrets, pod_dir, fs_group)
    containers = {c["name"]: resolve_container(c, pod, images, vols) for c in pod["containers"]}
    out = {"hostNetwork": pod.get("hostNetwork", False), "containers": containers}
    with open(os.path.join(pod_dir, "pod.json"), "w") as f:
        json.dump(out, f, indent=1)


# --- run -----------------------------------------------------------------------

def sh(*argv):
    subprocess.run(argv, check=True)


def bind(source, target, read_only):
    sh("mount", "--bind", source, target)
    if read_only:
        sh("mount", "-o", "remount,bind,ro", target)


def make_dev(root):
    """/dev as runc makes it: a tmpfs with the standard nodes and links."""
    dev = os.path.join(root, "dev")
    sh("mount", "-t", "tmpfs", "-o", "nosuid,strictatime,mode=755,size=65536k", "tmpfs", dev)
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        open(os.path.join(dev, node), "w").close()
        sh("mount", "--bind", "/dev/" + node, os.path.join(dev, node))
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    os.mkdir(os.path.join(dev, "shm"))
    sh("mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,mode=1777,size=65536k", "shm",
       os.path.join(dev, "shm"))


def run(pod_json, name, argv):
    spec = json.load(open(pod_json))["containers"][name]
    root = spec["rootfs"]
    # Mount points the image lacks are made in its root before it becomes
    # read-only, as the runtime makes them.
    for m in spec["mounts"]:
        os.makedirs(root + m["path"], exist_ok=True)
    bind(root, root, False)
    if spec["read_only_root"]:
        sh("mount", "-o", "remount,bind,ro", root)
    sh("mount", "-t", "proc", "proc", os.path.join(root, "proc"))
    # ip netns exec mounted this network namespace's sysfs on /sys.
    bind("/sys", os.path.join(root, "sys"), True)
    make_dev(root)
    for m in spec["mounts"]:
        bind(m["source"], root + m["path"], m["read_only"])

    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    keep = {CAPS[c] for c in spec["caps"]}
    libc = ctypes.CDLL(None, use_errno=True)
    argv = argv or spec["argv"]
    env = spec["env"]

    os.chroot(root)
    os.chdir(spec["workdir"])
    for cap in range(last_cap + 1):
        if cap not in keep and libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            die("PR_CAPBSET_DROP %d: %s" % (cap, os.strerror(ctypes.get_errno())))
    # runc hands the standard streams to the container's user, so that it
    # can reopen them (nginx's access_log /dev/stdout).
    for fd in (0, 1, 2):
        st = os.fstat(fd)
        if not stat.S_ISCHR(st.st_mode):
            os.fchown(fd, spec["uid"], spec["gid"])
    os.setgroups(spec["groups"])
    os.setgid(spec["gid"])
    os.setuid(spec["uid"])  # from root to a user: every capability goes
    if spec["no_new_privs"] and libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        die("PR_SET_NO_NEW_PRIVS: " + os.strerror(ctypes.get_errno()))
    os.umask(0o022)
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as e:
        die("exec %s: %s" % (argv[0], e))


# --- probe ---------------------------------------------------------------------

def probe(pod_json, name, which, pod_ip):
    spec = json.load(open(pod_json))["containers"][name]
    p = spec["probes"].get(which)
    if p is None:
        die("container %s has no %s" % (name, which))
    timeout = p.get("timeoutSeconds", 1)
    if "exec" in p:
        cmd = ["unshare", "--mount", "--propagation", "private", "--",
               sys.executable, os.path.abspath(__file__), "run", pod_json, name, "--"] + p["exec"]["command"]
        try:
            r = subprocess.run(cmd, timeout=timeout, capture_output=True)
        except subprocess.TimeoutExpired:
            return "failure: exec timed out after %d s" % timeout
        if r.returncode == 0:
            return "success"
        return "failure: exit status %d: %s" % (r.returncode, r.stderr.decode(errors="replace").strip())
    if "httpGet" in p:
        h = p["httpGet"]
        port = spec["ports"].get(h["port"], h["port"])
        url = "%s://%s:%s%s" % (h.get("scheme", "HTTP").lower(), h.get("host", pod_ip), port, h.get("path", "/"))
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as e:
            status = e.code
        except (urllib.error.URLError, OSError) as e:
            return "failure: %s: %s" % (url, getattr(e, "reason", e))
        return "success" if 200 <= status < 400 else "failure: %s: HTTP %d" % (url, status)
    if "tcpSocket" in p:
        t = p["tcpSocket"]
        port = spec["ports"].get(t["port"], t["port"])
        try:
            socket.create_connection((t.get("host", pod_ip), port), timeout=timeout).close()
        except OSError as e:
            return "failure: %s:%s: %s" % (t.get("host", pod_ip), port, e)
        return "success"
    die("%s of %s: unsupported kind" % (which, name))


def main():
    if len(sys.argv) < 2:
        die("usage: see the header of this file")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "prepare" and len(args) >= 3:
        prepare(args[0], args[1], args[2], args[3:])
    elif cmd == "run" and len(args) >= 2:
        argv = args[3:] if len(args) > 2 and args[2] == "--" else []
        run(args[0], args[1], argv)
    elif cmd == "probe" and len(args) == 4:
        result = probe(*args)
        print(result)
        sys.exit(0 if result == "success" else 1)
    else:
        die("usage: see the header of this file")


if __name__ == "__main__":
    main()
