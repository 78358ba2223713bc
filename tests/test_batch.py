"""Jobs with the real kubectl against the real binary and `skiff sim`: Pods exit through the
simulator's SKIFF_SIM_EXIT_AFTER / SKIFF_SIM_EXIT_CODE container env, and the job controller
counts them (completions and parallelism, backoffLimit, Indexed completion mode)."""
import json
import re

import pytest

from test_deployments import cluster, has_sim, wait_for  # noqa: F401  (module-scoped fixture)

pytestmark = pytest.mark.skipif(not has_sim(), reason="skiff sim is not built")


def job_manifest(name, completions=1, parallelism=1, exit_after="1", exit_code="0", backoff=6, indexed=False):
    spec = {
        "completions": completions, "parallelism": parallelism, "backoffLimit": backoff,
        "template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "work", "image": "busybox:1",
            "env": [{"name": "SKIFF_SIM_EXIT_AFTER", "value": exit_after},
                    {"name": "SKIFF_SIM_EXIT_CODE", "value": exit_code}]}]}},
    }
    if indexed:
        spec["completionMode"] = "Indexed"
    return json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec})


def condition(job, type_):
    return next((c for c in job.get("status", {}).get("conditions", []) if c["type"] == type_ and c["status"] == "True"), None)


def events(kubectl, ns, name):
    items = kubectl.json("events", "-n", ns, "--field-selector", f"involvedObject.name={name}")["items"]
    return {e["reason"] for e in items}


def test_job_completions_with_parallelism(cluster):
    kubectl, _ = cluster
    ns = "job-parallel"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=job_manifest("p", completions=5, parallelism=2))
    max_active = 0

    def complete():
        nonlocal max_active
        job = kubectl.json("job", "p", "-n", ns)
        pods = kubectl.json("pods", "-n", ns, "-l", "job-name=p")["items"]
        running = [p for p in pods if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
        max_active = max(max_active, len(running), job.get("status", {}).get("active", 0))
        return condition(job, "Complete") and job
    job = wait_for(complete, "Job p Complete", timeout=60, interval=0.2)
    assert max_active <= 2
    assert job["status"]["succeeded"] == 5
    assert job["status"].get("failed", 0) == 0
    assert job["status"]["startTime"] and job["status"]["completionTime"]
    assert condition(job, "SuccessCriteriaMet")
    pods = kubectl.json("pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=p")["items"]
    assert len(pods) == 5
    for pod in pods:
        assert pod["metadata"]["name"].startswith("p-")
        assert "batch.kubernetes.io/job-tracking" not in pod["metadata"].get("finalizers", [])
        assert pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]
        ref = pod["metadata"]["ownerReferences"][0]
        assert ref["kind"] == "Job" and ref["controller"] and ref["blockOwnerDeletion"]
        terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"
    _, out, _ = kubectl("get", "jobs", "-n", ns)
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert row.split()[:3] == ["p", "Complete", "5/5"]
    wait_for(lambda: {"SuccessfulCreate", "Completed"} <= events(kubectl, ns, "p"),
             "SuccessfulCreate and Completed events", timeout=15, interval=0.5)


def seconds(timestamp):
    import datetime
    return datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def test_job_backoff_limit(cluster):
    kubectl, _ = cluster
    ns = "job-backoff"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=job_manifest("f", exit_after="0.2", exit_code="3", backoff=1))
    job = wait_for(lambda: (lambda j: condition(j, "Failed") and j)(kubectl.json("job", "f", "-n", ns)),
                   "Job f Failed", timeout=60, interval=0.2)
    failed = condition(job, "Failed")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert condition(job, "FailureTarget")
    assert job["status"]["failed"] == 2
    assert job["status"].get("succeeded", 0) == 0
    pods = kubectl.json("pods", "-n", ns, "-l", "job-name=f")["items"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Failed"
        terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert terminated["exitCode"] == 3 and terminated["reason"] == "Error"
    assert "BackoffLimitExceeded" in events(kubectl, ns, "f")
    # The failed Pod was replaced after the controller's 10 s back-off, not at once.
    first, second = sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"])
    first_finished = first["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
    assert seconds(second["metadata"]["creationTimestamp"]) - seconds(first_finished) >= 9
    _, out, _ = kubectl("get", "job", "f", "-n", ns, "--no-headers")
    assert out.split()[1] == "Failed"


def test_pod_failure_policy_fails_the_job_on_an_exit_code(cluster):
    kubectl, _ = cluster
    ns = "job-failure-policy"
    kubectl("create", "namespace", ns)
    manifest = json.loads(job_manifest("pfp", completions=2, parallelism=2, exit_after="0.2", exit_code="42"))
    manifest["spec"]["podFailurePolicy"] = {"rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {"action": "FailJob", "onExitCodes": {"containerName": "work", "operator": "In", "values": [42]}}]}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    job = wait_for(lambda: (lambda j: condition(j, "Failed") and j)(kubectl.json("job", "pfp", "-n", ns)),
                   "Job pfp Failed", timeout=60, interval=0.2)
    assert job["spec"]["podReplacementPolicy"] == "Failed"
    failed = condition(job, "Failed")
    assert failed["reason"] == "PodFailurePolicy"
    assert re.fullmatch(rf"Container work for pod {ns}/pfp-\w{{5}} failed with exit code 42 matching FailJob rule at index 1",
                        failed["message"]), failed["message"]
    assert "PodFailurePolicy" in events(kubectl, ns, "pfp")


def test_pod_failure_policy_validation_messages(cluster):
    kubectl, _ = cluster
    ns = "job-failure-policy-invalid"
    kubectl("create", "namespace", ns)
    manifest = json.loads(job_manifest("bad"))
    manifest["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    manifest["spec"]["podFailurePolicy"] = {"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0, 3], "containerName": "nope"}},
        {"action": "Retry", "onPodConditions": [{"type": "DisruptionTarget", "status": "Maybe"}]},
        {"action": "Ignore"}]}
    rc, _, err = kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(manifest), check=False)
    assert rc != 0
    for message in [
            'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
            'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
            'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
            'spec.podFailurePolicy.rules[1].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
            'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
            'spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required']:
        assert message in err, err


def test_indexed_job(cluster):
    kubectl, _ = cluster
    ns = "job-indexed"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=job_manifest("ix", completions=3, parallelism=3, indexed=True))
    job = wait_for(lambda: (lambda j: condition(j, "Complete") and j)(kubectl.json("job", "ix", "-n", ns)),
                   "Job ix Complete", timeout=60, interval=0.2)
    assert job["status"]["completedIndexes"] == "0-2"
    assert job["status"]["succeeded"] == 3
    pods = kubectl.json("pods", "-n", ns, "-l", "job-name=ix")["items"]
    indexes = set()
    for pod in pods:
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == index
        assert pod["spec"]["hostname"] == f"ix-{index}"
        assert pod["metadata"]["name"].startswith(f"ix-{index}-")
        env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
        assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
            "metadata.labels['batch.kubernetes.io/job-completion-index']"
        indexes.add(index)
    assert indexes == {"0", "1", "2"}


def cronjob_manifest(name, schedule="*/1 * * * *", **extra):
    job_spec = json.loads(job_manifest(name))["spec"]
    spec = {"schedule": schedule, "jobTemplate": {"spec": job_spec}}
    spec.update(extra)
    return json.dumps({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": spec})


def test_cronjob_runs_on_schedule_and_create_job_from_it(cluster):
    kubectl, _ = cluster
    ns = "cron-basic"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=cronjob_manifest("tick", timeZone="Etc/UTC"))
    _, out, _ = kubectl("get", "cronjobs", "-n", ns)
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert row.split()[:5] == ["tick", "*/1", "*", "*", "*"]

    # A manual run from the template (client-side in kubectl).
    kubectl("create", "job", "manual", "--from=cronjob/tick", "-n", ns)
    manual = wait_for(lambda: (lambda j: condition(j, "Complete") and j)(kubectl.json("job", "manual", "-n", ns)),
                      "manual Job Complete", timeout=30, interval=0.2)
    assert manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"

    def scheduled_job():
        jobs = [j for j in kubectl.json("jobs", "-n", ns)["items"] if j["metadata"]["name"] != "manual"]
        return jobs[0] if jobs else None
    job = wait_for(scheduled_job, "a scheduled Job", timeout=75, interval=0.5)
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    cron = kubectl.json("cronjob", "tick", "-n", ns)
    last = cron["status"]["lastScheduleTime"]
    assert stamp.replace("+00:00", "Z") == last
    import datetime
    minutes = int(datetime.datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()) // 60
    assert job["metadata"]["name"] == f"tick-{minutes}"
    ref = job["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "CronJob" and ref["name"] == "tick" and ref["controller"]
    wait_for(lambda: kubectl.json("cronjob", "tick", "-n", ns).get("status", {}).get("lastSuccessfulTime"),
             "lastSuccessfulTime", timeout=30, interval=0.5)
    # Events are written in the background, after the status update that the wait above saw.
    wait_for(lambda: {"SuccessfulCreate", "SawCompletedJob"} <= events(kubectl, ns, "tick"),
             "SuccessfulCreate and SawCompletedJob events", timeout=15, interval=0.5)


def test_cronjob_validation_messages(cluster):
    kubectl, _ = cluster
    ns = "cron-invalid"
    kubectl("create", "namespace", ns)
    rc, _, err = kubectl("apply", "-n", ns, "-f", "-", input=cronjob_manifest("bad", schedule="61 * * * *"), check=False)
    assert rc != 0 and 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61' in err
    rc, _, err = kubectl("apply", "-n", ns, "-f", "-", input=cronjob_manifest("badtz", timeZone="Mars/Olympus"), check=False)
    assert rc != 0 and 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus' in err


def test_cronjob_every_runs_at_a_constant_delay(cluster):
    kubectl, _ = cluster
    ns = "cron-every"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-n", ns, "-f", "-", input=cronjob_manifest("often", schedule="@every 5s"))
    job = wait_for(lambda: (kubectl.json("jobs", "-n", ns)["items"] or [None])[0], "a Job from @every 5s", timeout=30, interval=0.5)
    assert job["metadata"]["ownerReferences"][0]["name"] == "often"
    rc, _, err = kubectl("apply", "-n", ns, "-f", "-", input=cronjob_manifest("bad", schedule="@every 5x"), check=False)
    assert rc != 0 and 'spec.schedule: Invalid value: "@every 5x": failed to parse duration @every 5x: time: invalid duration "5x"' in err


def test_ttl_after_finished_deletes_the_job(cluster):
    kubectl, _ = cluster
    ns = "job-ttl"
    kubectl("create", "namespace", ns)
    manifest = json.loads(job_manifest("ttl", exit_after="0.5"))
    manifest["spec"]["ttlSecondsAfterFinished"] = 2
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    wait_for(lambda: condition(kubectl.json("job", "ttl", "-n", ns), "Complete"), "Complete", timeout=30, interval=0.2)
    wait_for(lambda: not kubectl("get", "job", "ttl", "-n", ns, "--ignore-not-found", "-o", "name")[1].strip(),
             "the Job deleted", timeout=30, interval=0.3)
    wait_for(lambda: not kubectl.json("pods", "-n", ns)["items"], "its Pods garbage-collected", timeout=30, interval=0.3)
