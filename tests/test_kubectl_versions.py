"""The seed flow's basic steps with older kubectl binaries, run directly (not via the dispatcher)."""
import json
import os
import secrets

import pytest

from conftest import KUBECTL_VERSIONED, SEED_DIR


@pytest.mark.parametrize("minor", ["27", "30"])
def test_seed_basic_steps_with_old_kubectl(kubectl, ns, minor, tmp_path):
    binary = KUBECTL_VERSIONED.format("1." + minor)
    assert os.path.exists(binary), binary

    def k(*args, **kw):
        return kubectl(*args, binary=binary, **kw)

    _, out, _ = k("version", "-o", "json")
    assert json.loads(out)["clientVersion"]["minor"] == minor

    # serviceaccount.yaml names the default namespace; use the test's namespace instead.
    with open(os.path.join(SEED_DIR, "serviceaccount.yaml")) as f:
        sa = f.read().replace("namespace: default", f"namespace: {ns}")
    _, out, _ = k("apply", "-f", "-", input=sa)
    assert out.strip() == "serviceaccount/my-serviceaccount created"

    _, out, _ = k("create", "secret", "generic", "mysecret", "-n", ns,
                  f"--from-literal=token={secrets.token_hex(16)}")
    assert out.strip() == "secret/mysecret created"

    _, out, err = k("apply", "-n", ns, "-f", os.path.join(SEED_DIR, "deployment-v1beta1.yaml"))
    assert out.strip() == "deployment.apps/myapp created"
    assert "apps/v1beta1 Deployment is deprecated" in err

    _, out, _ = k("get", "deployment", "myapp", "-n", ns, "-o", "json")
    d = json.loads(out)
    assert d["apiVersion"] == "apps/v1"
    assert d["spec"]["selector"]["matchLabels"] == {"app": "myapp"}

    # apply again: nothing changed.
    _, out, _ = k("apply", "-n", ns, "-f", os.path.join(SEED_DIR, "deployment-v1beta1.yaml"))
    assert out.strip() == "deployment.apps/myapp unchanged"

    _, out, _ = k("get", "deployments", "-n", ns)
    assert out.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out.splitlines()[1].split()[0] == "myapp"

    _, out, _ = k("delete", "deployment", "myapp", "-n", ns)
    assert out.strip() == 'deployment.apps "myapp" deleted'
