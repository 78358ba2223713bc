"""Node and Pod resource stats: the agent's `/stats/summary` (the kubelet's Summary API) and
`/metrics/resource` (Prometheus text), read with the real kubectl through the API server's
`nodes/{name}/proxy`, as metrics-server and Prometheus read a kubelet.

The fixture is test_agent's: `skiff up` inside a network namespace this test creates, the busybox
image built with umoci and imported. One Pod spins a CPU, another holds 50 MiB of memory (dd's
block buffer, blocked writing into a pipe nobody reads).
"""
import json
import re
import time

import pytest

from test_agent import apply, pod, pytestmark, running, started_node, wait_for  # noqa: F401 (pytestmark skips without root)

NODE = "agent-test"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def node():
    with started_node("skiff-stats-") as n:
        yield n


def raw(node, path):
    return node.kubectl("get", "--raw", f"/api/v1/nodes/{NODE}/proxy{path}")[1]


def summary(node, query=""):
    return json.loads(raw(node, "/stats/summary" + query))


def pod_stats(s, name):
    return next((p for p in s["pods"] if p["podRef"]["name"] == name), None)


@pytest.fixture(scope="module")
def workloads(node):
    apply(node, pod("spin", ["sh", "-c", "while :; do :; done"]))
    apply(node, pod("hog", ["sh", "-c", "busybox dd if=/dev/zero bs=50M count=1 | sleep 3600"]))
    return {name: running(node, name) for name in ("spin", "hog")}


def test_summary_reports_node_and_pods(node, workloads):
    def measured():
        s = summary(node)
        spin = pod_stats(s, "spin")
        ok = spin and spin["containers"] and spin["containers"][0].get("cpu", {}).get("usageNanoCores", 0) > 0
        return s if ok else None
    # The sampler runs every 10 s: a rate is there after its second sample at the latest.
    s = wait_for("a CPU rate for spin", measured, timeout=40, interval=1)
    n = s["node"]
    assert n["nodeName"] == NODE
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", n["startTime"])
    assert n["cpu"]["usageCoreNanoSeconds"] > 0 and n["cpu"]["usageNanoCores"] > 0
    mem = n["memory"]
    assert 0 < mem["workingSetBytes"] <= mem["usageBytes"]
    assert mem["availableBytes"] > 0 and mem["rssBytes"] > 0 and mem["pageFaults"] > 0
    assert n["fs"]["capacityBytes"] >= n["fs"]["usedBytes"] > 0 and n["fs"]["inodes"] > 0
    image_fs = n["runtime"]["imageFs"]
    assert 0 < image_fs["usedBytes"] < n["fs"]["capacityBytes"]  # the busybox image is in the store
    assert [c["name"] for c in n["systemContainers"]] == ["pods"]

    spin = pod_stats(s, "spin")
    ref = spin["podRef"]
    assert ref == {"name": "spin", "namespace": "default", "uid": workloads["spin"]["metadata"]["uid"]}
    c = spin["containers"][0]
    assert c["name"] == "main"
    # A busy loop takes most of a core (the machine has two, shared with the test).
    assert c["cpu"]["usageNanoCores"] > 200_000_000, c
    assert spin["cpu"]["usageCoreNanoSeconds"] >= c["cpu"]["usageCoreNanoSeconds"] > 0
    assert spin["startTime"] == workloads["spin"]["status"]["startTime"]


def test_memory_working_set_is_visible(node, workloads):
    def holding():
        hog = pod_stats(summary(node), "hog")
        ws = hog and hog["containers"] and hog["containers"][0].get("memory", {}).get("workingSetBytes", 0)
        return hog if ws and ws >= 50 * MIB else None
    hog = wait_for("hog's 50 MiB in its working set", holding, timeout=30, interval=1)
    c = hog["containers"][0]["memory"]
    assert c["usageBytes"] >= c["workingSetBytes"] >= 50 * MIB
    assert c["rssBytes"] >= 50 * MIB
    assert "availableBytes" not in c  # no limit
    # The Pod's cgroup holds its container's.
    assert hog["memory"]["workingSetBytes"] >= c["workingSetBytes"]
    spin = pod_stats(summary(node), "spin")
    assert spin["containers"][0]["memory"]["workingSetBytes"] < 10 * MIB


def test_only_cpu_and_memory(node, workloads):
    s = summary(node, "?only_cpu_and_memory=true")
    assert "fs" not in s["node"] and "runtime" not in s["node"]
    assert s["node"]["cpu"] and s["node"]["memory"] and pod_stats(s, "spin")["cpu"]


def test_kubectl_top_reads_the_metrics_api(node, workloads):
    # metrics.k8s.io/v1beta1 is made from the agents' summaries: kubectl top finds it in discovery.
    def top_pods():
        rc, out, _ = node.kubectl("top", "pod", "--no-headers", check=False)
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()} if rc == 0 else {}
        return rows if "spin" in rows and "hog" in rows else None
    rows = wait_for("kubectl top pod with spin and hog", top_pods, timeout=40, interval=1)
    cpu, memory = rows["spin"]
    assert re.fullmatch(r"\d+m", cpu) and int(cpu[:-1]) >= 300, rows  # a busy loop: most of a core
    assert re.fullmatch(r"\d+Mi", rows["hog"][1]) and int(rows["hog"][1][:-2]) >= 45, rows

    _, out, _ = node.kubectl("top", "node", "--no-headers")
    name, cpu, cpu_pct, memory, memory_pct = out.split()
    assert name == NODE and re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+%", cpu_pct)
    assert re.fullmatch(r"\d+Mi", memory) and re.fullmatch(r"\d+%", memory_pct)

    _, out, _ = node.kubectl("top", "pod", "spin", "--containers", "--no-headers")
    assert out.split()[:2] == ["spin", "main"], out

    pod_metrics = json.loads(node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/hog")[1])
    assert pod_metrics["kind"] == "PodMetrics" and pod_metrics["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert pod_metrics["metadata"]["name"] == "hog" and pod_metrics["metadata"]["namespace"] == "default"
    assert pod_metrics["window"] and pod_metrics["timestamp"]
    usage = pod_metrics["containers"][0]["usage"]
    assert re.fullmatch(r"\d+n", usage["cpu"]) and re.fullmatch(r"\d+Ki", usage["memory"])
    nodes = json.loads(node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes")[1])
    assert nodes["kind"] == "NodeMetricsList" and [n["metadata"]["name"] for n in nodes["items"]] == [NODE]

    rc, _, err = node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nosuch", check=False)
    assert rc != 0 and 'podmetrics.metrics.k8s.io "default/nosuch" not found' in err, err


def test_kubectl_autoscale_scales_a_busy_deployment_up(node, workloads):
    ns = "hpa"
    node.kubectl("create", "namespace", ns)
    container = {"name": "main", "image": "busybox", "imagePullPolicy": "IfNotPresent",
                 "command": ["sh", "-c", "while :; do :; done"], "resources": {"requests": {"cpu": "100m"}}}
    apply(node, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "busy", "namespace": ns},
                 "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "busy"}},
                          "template": {"metadata": {"labels": {"app": "busy"}},
                                       "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}}})
    _, out, _ = node.kubectl("autoscale", "deployment", "busy", "-n", ns, "--cpu-percent=50", "--min=1", "--max=2")
    assert "horizontalpodautoscaler.autoscaling/busy autoscaled" in out
    try:
        # A busy loop uses far more than 50% of 100m: the controller (every 15 s, once the agent
        # has a CPU rate) scales to the maximum.
        wait_for("the Deployment scaled to 2",
                 lambda: node.kubectl("get", "deployment", "busy", "-n", ns, "-o", "jsonpath={.spec.replicas}")[1] == "2",
                 timeout=90, interval=1)
        hpa = json.loads(node.kubectl("get", "hpa", "busy", "-n", ns, "-o", "json")[1])
        assert hpa["status"]["desiredReplicas"] == 2 and hpa["status"]["lastScaleTime"]
        current = hpa["status"]["currentMetrics"][0]["resource"]
        assert current["name"] == "cpu" and current["current"]["averageUtilization"] > 100
        conditions = {c["type"]: c for c in hpa["status"]["conditions"]}
        assert conditions["AbleToScale"]["status"] == "True" and conditions["ScalingActive"]["reason"] == "ValidMetricFound"
        _, out, _ = node.kubectl("get", "hpa", "busy", "-n", ns, "--no-headers")
        assert re.search(r"Deployment/busy\s+cpu: \d+%/50%\s+1\s+2\s+\d", out), out
        rescales = [e["message"] for e in json.loads(node.kubectl("get", "events", "-n", ns, "-o", "json",
                                                                   "--field-selector", "reason=SuccessfulRescale")[1])["items"]]
        assert "New size: 2; reason: cpu resource utilization (percentage of request) above target" in rescales, rescales
    finally:
        node.kubectl("delete", "namespace", ns, "--wait=false")


SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)(?: (\d+))?$')


def metrics(node):
    text = raw(node, "/metrics/resource")
    families, samples = [], {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            families.append(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            assert line.split(" ")[2] == families[-1]
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        samples[(m.group(1), tuple(sorted(labels.items())))] = (float(m.group(3)), m.group(4))
    return text, families, samples


def test_metrics_resource(node, workloads):
    wait_for("hog's working set", lambda: (pod_stats(summary(node), "hog") or {}).get("memory", {}).get("workingSetBytes", 0) >= 50 * MIB,
             timeout=30, interval=1)
    text, families, samples = metrics(node)
    assert families == sorted(families)
    for name in ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_start_time_seconds",
                 "node_cpu_usage_seconds_total", "node_memory_working_set_bytes", "pod_cpu_usage_seconds_total",
                 "pod_memory_working_set_bytes", "resource_scrape_error"]:
        assert name in families, text
    assert "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds\n" in text
    assert "# TYPE container_cpu_usage_seconds_total counter\n" in text
    assert samples[("resource_scrape_error", ())] == (0.0, None)
    now_ms = time.time() * 1000
    value, ts = samples[("node_cpu_usage_seconds_total", ())]
    assert value > 0 and abs(int(ts) - now_ms) < 60_000
    spin = (("container", "main"), ("namespace", "default"), ("pod", "spin"))
    hog = (("container", "main"), ("namespace", "default"), ("pod", "hog"))
    assert samples[("container_cpu_usage_seconds_total", spin)][0] > 0
    assert samples[("container_memory_working_set_bytes", hog)][0] >= 50 * MIB
    assert samples[("pod_memory_working_set_bytes", (("namespace", "default"), ("pod", "hog")))][0] >= 50 * MIB
    started, ts = samples[("container_start_time_seconds", spin)]
    assert ts is None and abs(started - time.time()) < 600


def test_a_deleted_pod_leaves_the_stats(node, workloads):
    node.kubectl("delete", "pod", "spin", "--grace-period=1")
    wait_for("spin gone from the summary", lambda: pod_stats(summary(node), "spin") is None, timeout=30, interval=1)
    _, _, samples = metrics(node)
    assert not any(dict(labels).get("pod") == "spin" for _, labels in samples)


def test_stats_need_the_api_servers_credentials(node):
    # The agent's own port, straight: without the kubelet token it answers 401.
    import subprocess
    out = subprocess.run(["nsenter", f"--net=/run/netns/{node.netns}", "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                          "https://127.0.0.1:10250/stats/summary"], capture_output=True, text=True).stdout
    assert out == "401"
