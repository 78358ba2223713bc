"""Crash durability: every write the server acknowledged survives `kill -9`."""
import random
import threading
import time

from kubernetes import client
from kubernetes.client.rest import ApiException

NAMESPACE = "crash"


def test_acknowledged_writes_survive_kill_9(fresh_server):
    s = fresh_server
    s.kubectl("create", "namespace", NAMESPACE)
    api = s.api_client()
    v1 = client.CoreV1Api(api)

    acknowledged = []
    errors = []
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            name = f"w-{n:05d}"
            n += 1
            body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"n": str(n)})
            try:
                v1.create_namespaced_config_map(NAMESPACE, body, _request_timeout=5)
            except ApiException as e:
                errors.append(f"{name}: {e.status} {e.reason}")
                time.sleep(0.02)
                continue
            except Exception as e:  # connection refused/reset while the server is down
                errors.append(f"{name}: {type(e).__name__}")
                time.sleep(0.02)
                continue
            acknowledged.append(name)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    rng = random.Random()
    try:
        for round_ in range(3):
            time.sleep(rng.uniform(0.2, 1.5))
            count = len(acknowledged)
            rc = s.kill9()
            assert rc == -9
            s.start()
            assert len(acknowledged) >= count
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(10)
    api.close()

    assert len(acknowledged) >= 20, f"too few writes to mean anything: {len(acknowledged)} ({errors[:5]})"
    existing = set()
    token = None
    check = s.api_client()
    cv1 = client.CoreV1Api(check)
    while True:
        page = cv1.list_namespaced_config_map(NAMESPACE, limit=500, _continue=token)
        existing.update(i.metadata.name for i in page.items)
        token = page.metadata._continue
        if not token:
            break
    check.close()
    lost = [n for n in acknowledged if n not in existing]
    assert not lost, f"{len(lost)} acknowledged configmaps lost after kill -9: {lost[:10]}"
