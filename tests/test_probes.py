"""Container probes on the node agent: liveness, readiness and startup by exec, httpGet and
tcpSocket, with real runc containers under `skiff up` in a network namespace this test creates
(the fixture and helpers are test_agent's). Needs root, runc, umoci, busybox-static, ip and nsenter.
"""
import os
import time

from test_agent import apply, container_status, node, pod, pytestmark, running, wait_for  # noqa: F401


def events(node, name, reason):
    return node.get("events", "--field-selector", f"involvedObject.name={name},reason={reason}")["items"]


def conditions(p):
    return {c["type"]: c["status"] for c in p["status"].get("conditions", [])}


def with_probe(p, kind, probe, **container):
    p["spec"]["containers"][0][kind] = probe
    p["spec"]["containers"][0].update(container)
    return p


def restarted(node, name, timeout=30):
    """Waits until the Pod's container has restarted at least once; returns its status."""
    return wait_for(f"a restart of {name}",
                    lambda: (lambda c: c if c and c["restartCount"] >= 1 else None)(container_status(node.get("pod", name))),
                    timeout=timeout)


def test_exec_liveness_failure_restarts_the_container(node):
    # The probe's own grace period (1 s) replaces the Pod's 30 s: the kill is quick.
    p = pod("live", ["sh", "-c", "echo > /tmp/healthy; sleep 4; busybox rm /tmp/healthy; sleep 3600"])
    apply(node, with_probe(p, "livenessProbe", {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 1,
                                                "failureThreshold": 2, "terminationGracePeriodSeconds": 1}))
    running(node, "live")
    cs = restarted(node, "live")
    assert cs["lastState"]["terminated"]["exitCode"] == 137  # sh as PID 1 ignores SIGTERM
    unhealthy = events(node, "live", "Unhealthy")
    assert unhealthy and unhealthy[0]["type"] == "Warning"
    assert unhealthy[0]["message"].startswith("Liveness probe failed: cat: can't open '/tmp/healthy'")
    assert unhealthy[0]["involvedObject"]["fieldPath"] == "spec.containers{main}"
    killing = [e["message"] for e in events(node, "live", "Killing")]
    assert "Container main failed liveness probe, will be restarted" in killing
    # The new run is healthy for its first seconds: it is running and ready again.
    wait_for("live running again", lambda: (lambda c: c if "running" in c["state"] and c["ready"] else None)(
        container_status(node.get("pod", "live"))), timeout=30)


def test_exec_readiness_gates_ready_until_the_file_exists(node):
    p = pod("ready", ["sleep", "3600"])
    apply(node, with_probe(p, "readinessProbe", {"exec": {"command": ["sh", "-c", "test -f /tmp/ready"]}, "periodSeconds": 1}))
    p = running(node, "ready")
    cs = container_status(p)
    assert cs["started"] and not cs["ready"]
    assert conditions(p)["Ready"] == "False" and conditions(p)["ContainersReady"] == "False"
    # Stays unready across several probe periods, with Unhealthy events.
    wait_for("a readiness failure event", lambda: events(node, "ready", "Unhealthy"), timeout=15)
    p = node.get("pod", "ready")
    assert not container_status(p)["ready"] and conditions(p)["Ready"] == "False"
    ready = next(c for c in p["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ContainersNotReady" and "[main]" in ready["message"]
    assert events(node, "ready", "Unhealthy")[0]["message"].startswith("Readiness probe failed")
    node.kubectl("exec", "ready", "--", "sh", "-c", "echo > /tmp/ready")
    p = wait_for("Ready", lambda: (lambda p: p if conditions(p).get("Ready") == "True" else None)(node.get("pod", "ready")),
                 timeout=15)
    assert container_status(p)["ready"] and conditions(p)["ContainersReady"] == "True"
    assert container_status(p)["restartCount"] == 0  # readiness never restarts


SERVE = ["sh", "-c", "echo ok > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp"]


def test_http_get_readiness_against_httpd(node):
    p = pod("web", SERVE)
    apply(node, with_probe(p, "readinessProbe",
                           {"httpGet": {"port": "http", "path": "/index.html", "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                            "periodSeconds": 1},
                           ports=[{"name": "http", "containerPort": 8080}]))
    p = wait_for("web Ready", lambda: (lambda p: p if conditions(p).get("Ready") == "True" else None)(node.get("pod", "web")),
                 timeout=30)
    assert container_status(p)["ready"]
    # The same server without the file answers 404: never ready, and the event says why.
    q = pod("web404", SERVE)
    apply(node, with_probe(q, "readinessProbe", {"httpGet": {"port": 8080, "path": "/missing"}, "periodSeconds": 1}))
    running(node, "web404")
    # (A probe before httpd listens fails with "connection refused": the 404 comes after.)
    msg = "Readiness probe failed: HTTP probe failed with statuscode: 404"
    wait_for("a 404 readiness failure", lambda: [e for e in events(node, "web404", "Unhealthy") if e["message"] == msg],
             timeout=20)
    assert conditions(node.get("pod", "web404"))["Ready"] == "False"


def test_tcp_socket_liveness_on_a_closed_port_restarts(node):
    p = pod("tcp", ["sleep", "3600"], grace=1)
    apply(node, with_probe(p, "livenessProbe", {"tcpSocket": {"port": 8081}, "periodSeconds": 1, "failureThreshold": 2}))
    restarted(node, "tcp")
    ev = events(node, "tcp", "Unhealthy")
    assert ev and "connect: connection refused" in ev[0]["message"], ev
    assert ev[0]["message"].startswith("Liveness probe failed: dial tcp ")


def test_tcp_socket_liveness_on_an_open_port_keeps_running(node):
    p = pod("tcpok", SERVE)
    # httpd listens a moment after the container starts; a probe before that fails (in Kubernetes
    # too), so the probe waits 2 s as a user would set it.
    apply(node, with_probe(p, "livenessProbe", {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 2, "periodSeconds": 1,
                                                "failureThreshold": 1}))
    running(node, "tcpok")
    time.sleep(4)
    cs = container_status(node.get("pod", "tcpok"))
    assert cs["restartCount"] == 0 and cs["ready"] and "running" in cs["state"]
    assert not events(node, "tcpok", "Unhealthy")


def test_grpc_liveness_on_a_closed_port_restarts(node):
    # The agent dials the Pod IP over HTTP/2 like the kubelet's grpc-go client: a refused port is
    # retried until the probe's timeout, then fails with the kubelet's connect timeout message.
    p = pod("grpc", ["sleep", "3600"], grace=1)
    apply(node, with_probe(p, "livenessProbe", {"grpc": {"port": 9090}, "periodSeconds": 1, "failureThreshold": 2}))
    restarted(node, "grpc")
    ip = node.get("pod", "grpc")["status"]["podIP"]
    ev = events(node, "grpc", "Unhealthy")
    assert ev and ev[0]["message"] == (f'Liveness probe failed: timeout: failed to connect service "{ip}:9090" within 1s: '
                                       "context deadline exceeded"), ev


def test_startup_probe_gates_started_and_ready(node):
    p = pod("slow", ["sh", "-c", "sleep 3; echo > /tmp/started; sleep 3600"])
    with_probe(p, "startupProbe", {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 1, "failureThreshold": 30})
    # The liveness probe would kill the container at once if it ran before startup succeeded.
    with_probe(p, "livenessProbe", {"exec": {"command": ["cat", "/tmp/started"]}, "periodSeconds": 1, "failureThreshold": 1})
    apply(node, p)
    p = running(node, "slow")
    cs = container_status(p)
    assert not cs["started"] and not cs["ready"]
    p = wait_for("slow Ready", lambda: (lambda p: p if conditions(p).get("Ready") == "True" else None)(node.get("pod", "slow")),
                 timeout=30)
    cs = container_status(p)
    assert cs["started"] and cs["ready"] and cs["restartCount"] == 0


def test_startup_probe_failure_kills(node):
    p = pod("never", ["sleep", "3600"], grace=1)
    apply(node, with_probe(p, "startupProbe", {"exec": {"command": ["cat", "/tmp/never"]}, "periodSeconds": 1, "failureThreshold": 2}))
    restarted(node, "never")
    killing = [e["message"] for e in events(node, "never", "Killing")]
    assert "Container main failed startup probe, will be restarted" in killing


def test_exec_probe_timeout_fails_and_restarts(node):
    p = pod("slowprobe", ["sleep", "3600"], grace=1)
    apply(node, with_probe(p, "livenessProbe", {"exec": {"command": ["sleep", "30"]}, "timeoutSeconds": 1,
                                                "periodSeconds": 1, "failureThreshold": 2}))
    restarted(node, "slowprobe")
    ev = events(node, "slowprobe", "Unhealthy")
    assert ev and ev[0]["message"] == 'Liveness probe failed: command "sleep 30" timed out', ev


def test_timed_out_probe_commands_are_killed(node):
    p = pod("timeouts", ["sleep", "3600"])
    apply(node, with_probe(p, "readinessProbe", {"exec": {"command": ["sleep", "31"]}, "timeoutSeconds": 1, "periodSeconds": 1}))
    running(node, "timeouts")
    wait_for("a readiness timeout", lambda: events(node, "timeouts", "Unhealthy"), timeout=15)
    time.sleep(5)
    # One probe a second, each timing out after 1 s: left running, they would pile up.
    assert len(probe_commands(["sleep", "31"])) <= 2
    assert events(node, "timeouts", "Unhealthy")[0]["message"] == 'Readiness probe failed: command "sleep 31" timed out'
    assert not container_status(node.get("pod", "timeouts"))["ready"]


def probe_commands(argv):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[:-1] == [a.encode() for a in argv]:
                    found.append(pid)
        except OSError:
            pass
    return found
