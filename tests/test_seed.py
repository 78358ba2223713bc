"""The worked example of the source document (/work/shared/seed), run as its user would.

Note on `kubectl patch ... '{"spec":{"containers":[{"name":"main","env":[]}]}}'`: this is a
strategic merge patch, and `env` is a list merged by the key `name`. On Kubernetes an empty list
in such a patch merges nothing, so the patch leaves the object as it is and kubectl prints
`... patched (no change)`, whether or not the container had environment variables. Changes to a
Pod's env (removing it, changing a value) are what is refused with
`Forbidden: pod updates may not change fields other than ...`, while the same changes on a
Deployment's Pod template are accepted and bump metadata.generation. The tests check exactly that.
"""
import base64
import os
import secrets

POD_WITH_ENV = """
apiVersion: v1
kind: Pod
metadata:
  name: mypod
  labels: {app: myapp}
spec:
  serviceAccountName: my-serviceaccount
  containers:
  - name: main
    image: myimage
    env:
    - name: MODE
      value: production
    envFrom:
    - secretRef:
        name: mysecret
"""

POD_NO_ENV = """
apiVersion: v1
kind: Pod
metadata:
  name: mypod
  labels: {app: myapp}
spec:
  serviceAccountName: my-serviceaccount
  containers:
  - name: main
    image: myimage
    envFrom:
    - secretRef:
        name: mysecret
"""

DOC_POD_PATCH = '{"spec":{"containers":[{"name":"main","env":[]}]}}'
DOC_DEPLOY_PATCH = '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[]}]}}}}'


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_seed_serviceaccount_secret_deployment(kubectl, seed_dir):
    _, out, _ = kubectl("apply", "-f", os.path.join(seed_dir, "serviceaccount.yaml"))
    assert out.strip() in ("serviceaccount/my-serviceaccount created",
                           "serviceaccount/my-serviceaccount unchanged")
    sa = kubectl.json("serviceaccount", "my-serviceaccount", "-n", "default")
    assert sa["metadata"]["namespace"] == "default"

    token = secrets.token_hex(16)
    _, out, _ = kubectl("create", "secret", "generic", "mysecret", f"--from-literal=token={token}")
    assert out.strip() == "secret/mysecret created"
    s = kubectl.json("secret", "mysecret")
    assert s["type"] == "Opaque"
    assert s["data"]["token"] == base64.b64encode(token.encode()).decode()

    _, out, err = kubectl("apply", "-f", os.path.join(seed_dir, "deployment-v1beta1.yaml"))
    assert out.strip() == "deployment.apps/myapp created"
    assert "Warning: apps/v1beta1 Deployment is deprecated" in err

    d = kubectl.json("deployment", "myapp")
    assert d["apiVersion"] == "apps/v1"
    assert d["kind"] == "Deployment"
    assert d["spec"]["selector"]["matchLabels"] == {"app": "myapp"}
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert c["envFrom"] == [{"secretRef": {"name": "mysecret"}}]
    assert d["spec"]["template"]["spec"]["serviceAccountName"] == "my-serviceaccount"
    assert d["spec"]["replicas"] == 1
    assert d["metadata"]["generation"] == 1

    # The document's patch on the Deployment's template: the empty env list merges nothing.
    _, out, _ = kubectl("patch", "deployment", "myapp", "-p", DOC_DEPLOY_PATCH)
    assert out.strip() == "deployment.apps/myapp patched (no change)"
    assert kubectl.json("deployment", "myapp")["metadata"]["generation"] == 1

    # Environment changes on the template are accepted, and each bumps metadata.generation.
    _, out, _ = kubectl("patch", "deployment", "myapp", "-p",
                        '{"spec":{"template":{"spec":{"containers":'
                        '[{"name":"main","env":[{"name":"MODE","value":"debug"}]}]}}}}')
    assert out.strip() == "deployment.apps/myapp patched"
    d = kubectl.json("deployment", "myapp")
    assert d["metadata"]["generation"] == 2
    assert d["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "debug"}]

    _, out, _ = kubectl("patch", "deployment", "myapp", "-p",
                        '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":null}]}}}}')
    assert out.strip() == "deployment.apps/myapp patched"
    d = kubectl.json("deployment", "myapp")
    assert d["metadata"]["generation"] == 3
    assert "env" not in d["spec"]["template"]["spec"]["containers"][0]


def test_seed_pod_patch_and_forced_replace(kubectl, ns, tmp_path):
    kubectl("create", "serviceaccount", "my-serviceaccount", "-n", ns)
    kubectl("create", "secret", "generic", "mysecret", "-n", ns,
            f"--from-literal=token={secrets.token_hex(16)}")
    with_env = write(tmp_path, "pod.yaml", POD_WITH_ENV)
    _, out, _ = kubectl("create", "-n", ns, "-f", with_env)
    assert out.strip() == "pod/mypod created"

    # The document's patch: an empty list merges nothing into `env`, so nothing changes.
    _, out, _ = kubectl("patch", "pods", "mypod", "-n", ns, "-p", DOC_POD_PATCH)
    assert out.strip() == "pod/mypod patched (no change)"
    pod = kubectl.json("pod", "mypod", "-n", ns)
    assert pod["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "production"}]

    # Really clearing (or changing) the env of a running Pod is refused.
    rc, out, err = kubectl("patch", "pods", "mypod", "-n", ns, "-p",
                           '{"spec":{"containers":[{"name":"main","env":null}]}}', check=False)
    assert rc != 0
    assert 'The Pod "mypod" is invalid' in err
    assert "Forbidden: pod updates may not change fields other than" in err
    rc, _, err = kubectl("patch", "pods", "mypod", "-n", ns, "--type", "json", "-p",
                         '[{"op":"remove","path":"/spec/containers/0/env"}]', check=False)
    assert rc != 0
    assert "Forbidden: pod updates may not change fields other than" in err
    # The image is one of the fields that may change.
    _, out, _ = kubectl("patch", "pods", "mypod", "-n", ns, "-p",
                        '{"spec":{"containers":[{"name":"main","image":"myimage:v2"}]}}')
    assert out.strip() == "pod/mypod patched"
    old_uid = kubectl.json("pod", "mypod", "-n", ns)["metadata"]["uid"]

    # Rotate the secret, then replace the Pod by force with one without env: new object.
    _, secret_yaml, _ = kubectl("create", "secret", "generic", "mysecret", "-n", ns,
                                f"--from-literal=token={secrets.token_hex(16)}",
                                "--dry-run=client", "-o", "yaml")
    _, out, _ = kubectl("replace", "-n", ns, "-f", "-", input=secret_yaml)
    assert out.strip() == "secret/mysecret replaced"

    no_env = write(tmp_path, "pod.yaml", POD_NO_ENV)
    _, out, _ = kubectl("replace", "-n", ns, "-f", no_env, "--force")
    assert 'pod "mypod" deleted' in out
    assert "pod/mypod replaced" in out
    pod = kubectl.json("pod", "mypod", "-n", ns)
    assert pod["metadata"]["uid"] != old_uid
    assert "env" not in pod["spec"]["containers"][0]
    assert pod["spec"]["containers"][0]["image"] == "myimage"

    # The document's patch on a Pod without env: no change either.
    _, out, _ = kubectl("patch", "pods", "mypod", "-n", ns, "-p", DOC_POD_PATCH)
    assert out.strip() == "pod/mypod patched (no change)"
    after = kubectl.json("pod", "mypod", "-n", ns)
    assert after["metadata"]["resourceVersion"] == pod["metadata"]["resourceVersion"]
