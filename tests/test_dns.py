"""Cluster DNS end to end: `skiff up` serves the cluster zone on the Pods' gateway (10.42.0.1:53)
and busybox's nslookup, run in a Pod with `kubectl exec`, resolves Services through it.

Runs like tests/test_agent.py (root, runc, busybox-static; `skiff up` in a network namespace this
test makes). The node's resolv.conf (`--resolv-conf`) names a fake upstream on 127.0.0.1:53 inside
that namespace, so forwarded names never leave it.
"""
import os
import subprocess
import sys

import pytest

from test_agent import Node, apply, pod, running, started_node, wait_for
from test_agent import pytestmark  # noqa: F401  (the same requirements)

# Answers A 192.0.2.10 for outside.example, NXDOMAIN for anything else.
FAKE_UPSTREAM = r"""
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    o, labels = 12, []
    while q[o]:
        labels.append(q[o + 1:o + 1 + q[o]].decode().lower()); o += 1 + q[o]
    qtype = struct.unpack(">H", q[o + 1:o + 3])[0]
    question = q[12:o + 5]
    if ".".join(labels) == "outside.example" and qtype == 1:
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton("192.0.2.10")
        s.sendto(q[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0) + question + answer, peer)
    else:
        s.sendto(q[:2] + (b"\x81\x80" if ".".join(labels) == "outside.example" else b"\x81\x83")
                 + struct.pack(">HHHH", 1, 0, 0, 0) + question, peer)
"""


class DNSNode(Node):
    upstream = None

    @property
    def resolv_conf(self):
        return os.path.join(self.root, "resolv.conf")

    @property
    def extra_args(self):
        return ("--resolv-conf", self.resolv_conf)

    def setup(self):
        super().setup()
        with open(self.resolv_conf, "w") as f:
            f.write("search skiff.test\nnameserver 127.0.0.1\n")
        self.upstream = subprocess.Popen(["ip", "netns", "exec", self.netns, sys.executable, "-c", FAKE_UPSTREAM],
                                         stdout=subprocess.PIPE, text=True)
        assert self.upstream.stdout.readline().strip() == "ready"

    def cleanup(self):
        if self.upstream:
            self.upstream.terminate()
            self.upstream.wait(timeout=10)
        super().cleanup()


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-dns-", DNSNode) as n:
        yield n


def nslookup(node, client, *args):
    rc, out, err = node.kubectl("exec", client, "--", "busybox", "nslookup", *args, check=False)
    return rc, out + err


def answers(output):
    """The addresses nslookup printed for the looked-up name (not the server's own line)."""
    found, after_name = set(), False
    for line in output.splitlines():
        if line.startswith("Name:"):
            after_name = True
        elif after_name and line.startswith("Address:"):
            found.add(line.split(":", 1)[1].strip())
    return found


def resolves_to(node, client, name, expected):
    """Asks until the answer is `expected` (the informers may trail the API by a moment). The
    exit code is not checked: busybox's nslookup tries every search domain and exits 1 when one
    of them is NXDOMAIN, as it does against CoreDNS."""
    last = []

    def check():
        _, out = nslookup(node, client, name)
        last[:] = [out]
        return out if answers(out) == expected else None
    try:
        return wait_for(f"{name} to resolve to {sorted(expected)}", check, timeout=30)
    except AssertionError as e:
        raise AssertionError(f"{e}\nlast nslookup output:\n{last[0] if last else ''}") from None


@pytest.fixture(scope="module")
def cluster(node):
    labels = {"app": "web"}
    apply(node, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                          "template": {"metadata": {"labels": labels},
                                       "spec": {"containers": [{"name": "httpd", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                                                "command": ["busybox", "httpd", "-f", "-p", "8080"],
                                                                "ports": [{"containerPort": 8080, "name": "http"}]}]}}}})
    port = [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]
    apply(node, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                 "spec": {"selector": labels, "ports": port}})
    apply(node, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-headless"},
                 "spec": {"clusterIP": "None", "selector": labels, "ports": port}})
    apply(node, pod("dnsclient", ["sh", "-c", "sleep 3600"]))
    running(node, "dnsclient")

    def ready_pod_ips():
        pods = node.get("pods", "-l", "app=web")["items"]
        ips = {p["status"].get("podIP") for p in pods if any(
            c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))}
        return ips if len(pods) == 2 and len(ips) == 2 and None not in ips else None
    return {"clusterIP": node.get("service", "web")["spec"]["clusterIP"],
            "podIPs": wait_for("two ready web Pods", ready_pod_ips, timeout=60)}


def test_pod_resolv_conf_points_at_the_cluster_dns(node, cluster):
    _, out, _ = node.kubectl("exec", "dnsclient", "--", "cat", "/etc/resolv.conf")
    assert "nameserver 10.42.0.1" in out.splitlines()
    assert "search default.svc.cluster.local svc.cluster.local cluster.local skiff.test" in out.splitlines()


def test_service_name_resolves_to_its_cluster_ip(node, cluster):
    ip = cluster["clusterIP"]
    assert ip and ip != "None"
    out = resolves_to(node, "dnsclient", "web.default.svc.cluster.local", {ip})
    assert "10.42.0.1:53" in out  # answered by the cluster DNS on the gateway
    # Through the search path (busybox's nslookup applies it only to names without a dot).
    resolves_to(node, "dnsclient", "web", {ip})


def test_headless_service_resolves_to_the_pod_ips(node, cluster):
    resolves_to(node, "dnsclient", "web-headless.default.svc.cluster.local", cluster["podIPs"])
    resolves_to(node, "dnsclient", "web-headless", cluster["podIPs"])
    ip = sorted(cluster["podIPs"])[0]
    resolves_to(node, "dnsclient", f"{ip.replace('.', '-')}.default.pod.cluster.local", {ip})


def test_reverse_lookup_of_the_cluster_ip(node, cluster):
    rc, out = nslookup(node, "dnsclient", cluster["clusterIP"])
    assert rc == 0 and "name = web.default.svc.cluster.local" in out, out


def test_srv_record_for_the_named_port(node, cluster):
    rc, out = nslookup(node, "dnsclient", "-type=SRV", "_http._tcp.web.default.svc.cluster.local")
    assert rc == 0, out
    assert "0 100 80 web.default.svc.cluster.local" in out


def test_missing_name_is_nxdomain(node, cluster):
    rc, out = nslookup(node, "dnsclient", "nope.default.svc.cluster.local")
    assert rc != 0 and "NXDOMAIN" in out


def test_other_names_are_forwarded_upstream(node, cluster):
    rc, out = nslookup(node, "dnsclient", "outside.example.")
    assert rc == 0 and answers(out) == {"192.0.2.10"}, out


def test_deleted_service_stops_resolving(node, cluster):
    apply(node, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "brief"},
                 "spec": {"selector": {"app": "none"}, "ports": [{"port": 81}]}})
    ip = node.get("service", "brief")["spec"]["clusterIP"]
    resolves_to(node, "dnsclient", "brief.default.svc.cluster.local", {ip})
    node.kubectl("delete", "service", "brief")
    wait_for("brief to be NXDOMAIN",
             lambda: "NXDOMAIN" in nslookup(node, "dnsclient", "brief.default.svc.cluster.local")[1] or None, timeout=30)


def test_stateful_set_pods_resolve_by_hostname(node, cluster):
    labels = {"app": "db"}
    apply(node, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                 "spec": {"clusterIP": "None", "selector": labels, "ports": [{"name": "pg", "port": 5432, "targetPort": 8080}]}})
    apply(node, {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                 "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": labels},
                          "template": {"metadata": {"labels": labels},
                                       "spec": {"containers": [{"name": "httpd", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                                                "command": ["busybox", "httpd", "-f", "-p", "8080"]}]}}}})
    ips = {}
    for name in ("db-0", "db-1"):
        ips[name] = running(node, name, timeout=60)["status"]["podIP"]
    for name, ip in ips.items():
        resolves_to(node, "dnsclient", f"{name}.db.default.svc.cluster.local", {ip})
    rc, out = nslookup(node, "dnsclient", ips["db-0"])  # PTR for an endpoint with a hostname
    assert rc == 0 and "name = db-0.db.default.svc.cluster.local" in out, out
    # A headless Service's SRV records carry the endpoints' ports (the targetPort), as CoreDNS.
    rc, out = nslookup(node, "dnsclient", "-type=SRV", "_pg._tcp.db.default.svc.cluster.local")
    assert rc == 0 and "8080 db-0.db.default.svc.cluster.local" in out and "8080 db-1.db.default.svc.cluster.local" in out, out


class NoDNSNode(Node):
    extra_args = ("--cluster-dns=false",)


def test_cluster_dns_can_be_turned_off():
    with started_node("skiff-nodns-", NoDNSNode) as n:
        apply(n, pod("plain", ["sh", "-c", "sleep 3600"]))
        running(n, "plain")
        _, out, _ = n.kubectl("exec", "plain", "--", "cat", "/etc/resolv.conf")
        assert "nameserver 10.42.0.1" not in out
        assert "10.42.0.1:53" not in subprocess.run(["ip", "netns", "exec", n.netns, "ss", "-lun"],
                                                    capture_output=True, text=True).stdout
        # Without cluster DNS the kubelet warns that ClusterFirst fell back to the node's resolv.conf.
        events = n.get("events", "--field-selector", "involvedObject.name=plain")["items"]
        assert any(e["reason"] == "MissingClusterDNS" for e in events), [e["reason"] for e in events]
