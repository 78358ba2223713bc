"""The service proxy end to end: `skiff up` programs iptables so that a Service's cluster IP and
node port reach its ready Pods.

Everything runs inside the network namespace `started_node()` creates (the node's "host"); the
iptables rules checked and the traffic sent never leave it. The namespace also gets an
interface (one end of a veth pair whose other end stays in it too) with an address, so the node
has a non-loopback InternalIP for its node ports. Needs
root, runc, umoci, busybox-static, ip, nsenter, iptables and curl.
"""
import json
import shutil
import subprocess

import pytest

from test_agent import TOOLS, Node, apply, started_node, wait_for

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS + ["iptables-save", "curl"]) or not shutil.which("busybox"),
    reason="needs root, runc, umoci, busybox-static, ip, nsenter, iptables and curl")

NODE_ADDRESS = "192.168.231.1"

HTTPD = ("busybox mkdir -p /www && hostname > /www/index.html && "
         "exec busybox httpd -f -p 8080 -h /www")


class ProxyNode(Node):
    def setup(self):
        super().setup()
        for cmd in (["link", "add", "skiffnp0", "type", "veth", "peer", "name", "skiffnp1"],
                    ["addr", "add", NODE_ADDRESS + "/24", "dev", "skiffnp0"],
                    ["link", "set", "skiffnp0", "up"], ["link", "set", "skiffnp1", "up"],
                    # A default route, as every real node has: without one a cluster IP is
                    # unroutable before any filter rule sees it (no route to host, not refused).
                    # It leads into the veth whose other end is in this namespace too.
                    ["route", "add", "default", "dev", "skiffnp0"]):
            subprocess.run(["ip", "-n", self.netns, *cmd], check=True)

    def in_netns(self, *cmd):
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.netns}", *cmd], capture_output=True, text=True, timeout=30)

    def nat_rules(self):
        return self.in_netns("iptables-save", "-t", "nat").stdout

    def filter_rules(self):
        return self.in_netns("iptables-save", "-t", "filter").stdout


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-proxy-", ProxyNode) as n:
        yield n


def deployment(replicas):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"terminationGracePeriodSeconds": 1,
                                           "containers": [{"name": "httpd", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                                           "command": ["sh", "-c", HTTPD], "ports": [{"containerPort": 8080}]}]}}}}


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"type": "NodePort", "selector": {"app": "web"},
                    "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}

CLIENT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
          "spec": {"terminationGracePeriodSeconds": 1,
                   "containers": [{"name": "main", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                                   "command": ["sleep", "3600"]}]}}


def fetch(node, address, pod="client"):
    """One HTTP GET from a Pod with busybox `nc` (busybox-static's `wget` crashes on this kernel):
    (exit code, body, stderr)."""
    host, port = address.rsplit(":", 1)
    script = f'printf "GET / HTTP/1.0\\r\\n\\r\\n" | busybox nc -w 3 {host} {port}'
    rc, out, err = node.kubectl("exec", pod, "--", "sh", "-c", script, check=False)
    head, _, body = out.replace("\r\n", "\n").partition("\n\n")
    return rc, body if head.startswith("HTTP/1.1 200") else "", err


def ready_pods(node):
    pods = node.get("pods", "-l", "app=web")["items"]
    return [p["metadata"]["name"] for p in pods
            if any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))]


def test_cluster_ip_and_node_port_reach_every_ready_pod(node):
    apply(node, deployment(2))
    apply(node, SERVICE)
    apply(node, CLIENT)
    svc = node.get("service", "web")
    ip, node_port = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    names = set(wait_for("2 ready web Pods", lambda: (lambda r: r if len(r) == 2 else None)(ready_pods(node)), timeout=90))
    wait_for("client Running", lambda: node.get("pod", "client")["status"].get("phase") == "Running", timeout=60)

    seen = set()

    def both_answered():
        rc, out, _ = fetch(node, f"{ip}:80")
        if rc == 0:
            seen.add(out.strip())
        return seen == names or None
    wait_for(f"both Pods answering on {ip}:80 (seen {seen})", both_answered, timeout=60, interval=0.1)

    # A node port at the node's address, from the node's own namespace.
    node_ip = next(a["address"] for a in node.get("node", "agent-test")["status"]["addresses"] if a["type"] == "InternalIP")
    assert node_ip == NODE_ADDRESS
    got = set()

    def node_port_answered():
        r = node.in_netns("curl", "-s", "--max-time", "3", f"http://{node_ip}:{node_port}/")
        if r.returncode == 0:
            got.add(r.stdout.strip())
        return got == names or None
    wait_for(f"both Pods answering on node port {node_port} (seen {got})", node_port_answered, timeout=60, interval=0.1)

    rules = [line for line in node.nat_rules().splitlines() if "default/web:http" in line]
    assert any(f"--dport {node_port} -j SKIFF-SVC-" in line for line in rules)
    assert sum("-j DNAT" in line for line in rules) == 2
    assert sum("-m statistic --mode random --probability 0.50000000000" in line for line in rules) == 1


def test_a_pod_reaches_itself_through_its_service(node):
    ip = node.get("service", "web")["spec"]["clusterIP"]
    pod = ready_pods(node)[0]
    answers = set()

    def reached_itself():
        rc, out, _ = fetch(node, f"{ip}:80", pod=pod)
        if rc == 0:
            answers.add(out.strip())
        return pod in answers or None
    wait_for(f"{pod} answered itself through {ip}", reached_itself, timeout=60, interval=0.1)


def test_client_ip_affinity_keeps_a_client_on_one_pod(node):
    node.kubectl("patch", "service", "web", "-p", json.dumps({"spec": {"sessionAffinity": "ClientIP"}}))
    wait_for("affinity rules", lambda: "--rcheck --seconds 10800" in node.nat_rules(), timeout=30)
    ip = node.get("service", "web")["spec"]["clusterIP"]
    answers = []
    for _ in range(8):
        rc, out, err = fetch(node, f"{ip}:80")
        assert rc == 0, err
        answers.append(out.strip())
    assert len(set(answers)) == 1 and answers[0] in ready_pods(node), answers
    node.kubectl("patch", "service", "web", "-p", json.dumps({"spec": {"sessionAffinity": "None"}}))
    wait_for("affinity rules gone", lambda: "--rcheck" not in node.nat_rules(), timeout=30)


def test_no_ready_endpoints_is_connection_refused(node):
    svc = node.get("service", "web")
    ip, node_port = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    node.kubectl("scale", "deployment", "web", "--replicas=0")
    wait_for("no web Pods", lambda: not node.get("pods", "-l", "app=web")["items"], timeout=90)

    def refused():
        rc, _, err = fetch(node, f"{ip}:80")
        return (rc != 0 and "Connection refused" in err) or None
    wait_for("connection refused on the cluster IP", refused, timeout=30, interval=0.1)
    rules = node.filter_rules()
    assert '--comment "default/web:http has no endpoints"' in rules and "-j REJECT" in rules
    r = node.in_netns("curl", "-s", "--max-time", "3", f"http://{NODE_ADDRESS}:{node_port}/")
    assert r.returncode == 7  # curl: could not connect (refused)


def test_deleting_the_service_removes_its_chains(node):
    node.kubectl("scale", "deployment", "web", "--replicas=1")
    wait_for("a web SVC chain", lambda: "default/web:http cluster IP" in node.nat_rules(), timeout=90)
    chain = next(line.split("-j ")[-1].strip() for line in node.nat_rules().splitlines()
                 if "default/web:http cluster IP" in line and "-A SKIFF-SERVICES" in line)
    assert chain.startswith("SKIFF-SVC-") and f":{chain} " in node.nat_rules()
    node.kubectl("delete", "service", "web")
    wait_for(f"{chain} removed", lambda: chain not in node.nat_rules(), timeout=30)
    assert "default/web" not in node.nat_rules() and "default/web" not in node.filter_rules()


def test_a_restart_after_kill_rewrites_the_rules_without_duplicates(node):
    jump = '-A PREROUTING -m comment --comment "skiff service portals" -j SKIFF-SERVICES'
    assert node.nat_rules().count(jump) == 1
    node.kill9()  # no chance to clean up: the rules stay
    assert node.nat_rules().count(jump) == 1
    assert node.in_netns("iptables", "-w", "-t", "nat", "-F", "SKIFF-SERVICES").returncode == 0
    def portal():
        return [line for line in node.nat_rules().splitlines()
                if line.startswith("-A SKIFF-SERVICES") and "default/kubernetes:https cluster IP" in line]
    assert not portal()
    node.start()
    wait_for("the kubernetes Service's portal rewritten after the restart", portal, timeout=30)
    assert node.nat_rules().count(jump) == 1 and node.filter_rules().count("-j SKIFF-FORWARD") == 1


def test_stopping_removes_every_skiff_chain(node):
    assert ":SKIFF-SERVICES" in node.nat_rules()
    node.stop()
    assert "SKIFF" not in node.nat_rules() and "SKIFF" not in node.filter_rules()
