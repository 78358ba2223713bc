"""Finalizers hold a deleted object until they are removed."""
import time

CM = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers:
  - example.com/block
data:
  a: b
"""


def test_finalizer_blocks_deletion_until_removed(kubectl, ns):
    kubectl("create", "-n", ns, "-f", "-", input=CM)
    _, out, _ = kubectl("delete", "configmap", "held", "-n", ns, "--wait=false")
    assert out.startswith('configmap "held" deleted')

    obj = kubectl.json("configmap", "held", "-n", ns)
    assert obj["metadata"]["deletionTimestamp"].endswith("Z")
    assert obj["metadata"]["finalizers"] == ["example.com/block"]
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0

    # While terminating, other changes are still allowed; new finalizers are not.
    rc, _, err = kubectl("patch", "configmap", "held", "-n", ns, "--type", "json", "-p",
                         '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/other"}]',
                         check=False)
    assert rc != 0
    assert "Forbidden: no new finalizers can be added if the object is being deleted" in err

    _, out, _ = kubectl("patch", "configmap", "held", "-n", ns, "--type", "json", "-p",
                        '[{"op":"remove","path":"/metadata/finalizers"}]')
    assert out.strip() == "configmap/held patched"
    deadline = time.monotonic() + 5
    while True:
        rc, _, err = kubectl("get", "configmap", "held", "-n", ns, check=False)
        if rc != 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert rc == 1
    assert 'Error from server (NotFound): configmaps "held" not found' in err
