import SkiffModel
import Testing
@testable import SkiffNodeAgent

struct AgentStatusTests {
    func rec(_ name: String, _ state: ContainerRecord.State, last: ContainerRecord.State? = nil, ready: Bool = false) -> ContainerRecord {
        var r = ContainerRecord(name: name, image: "busybox", waitingReason: "ContainerCreating")
        r.state = state
        r.lastState = last
        r.ready = ready
        return r
    }

    func exit(_ code: Int32, _ reason: String = "Error") -> ContainerRecord.State {
        .terminated(.init(exitCode: code, reason: code == 0 ? "Completed" : reason, startedAt: 1, finishedAt: 2, containerID: "id"))
    }

    let creating = ContainerRecord.State.waiting(reason: "ContainerCreating", message: nil)
    let running = ContainerRecord.State.running(startedAt: 1)

    @Test func phases() {
        func phase(_ policy: String, inits: [ContainerRecord] = [], _ apps: [ContainerRecord]) -> String {
            PodStatusBuilder.phase(restartPolicy: policy, initContainers: inits, containers: apps)
        }
        #expect(phase("Always", [rec("a", creating)]) == "Pending")
        #expect(phase("Always", [rec("a", running)]) == "Running")
        #expect(phase("Always", [rec("a", running), rec("b", creating)]) == "Pending")
        #expect(phase("Never", [rec("a", exit(0))]) == "Succeeded")
        #expect(phase("Never", [rec("a", exit(0)), rec("b", exit(1))]) == "Failed")
        #expect(phase("OnFailure", [rec("a", exit(0))]) == "Succeeded")
        #expect(phase("Always", [rec("a", exit(0))]) == "Running")
        #expect(phase("Never", [rec("a", running), rec("b", exit(1))]) == "Running")
        // Restarting after a crash counts as stopped, not waiting.
        #expect(phase("Always", [rec("a", .waiting(reason: "CrashLoopBackOff", message: nil), last: exit(1))]) == "Running")
        #expect(phase("Always", inits: [rec("i", running)], [rec("a", creating)]) == "Pending")
        #expect(phase("Never", inits: [rec("i", exit(2))], [rec("a", creating)]) == "Failed")
        #expect(phase("Always", inits: [rec("i", exit(2))], [rec("a", creating)]) == "Pending")
        #expect(phase("Always", inits: [rec("i", exit(0))], [rec("a", running)]) == "Running")
    }

    let pod: JSON = [
        "metadata": ["name": "p", "namespace": "default", "uid": "u"],
        "spec": ["restartPolicy": "Always", "containers": [["name": "a", "image": "busybox"], ["name": "b", "image": "busybox"]]],
        "status": ["conditions": [["type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"],
                                  ["type": "Ready", "status": "False", "lastTransitionTime": "2024-01-01T00:00:01Z"]]],
    ]

    func condition(_ status: JSON, _ type: String) -> JSON? {
        status["conditions"]?.array?.first { $0["type"]?.string == type }
    }

    @Test func runningPodStatus() {
        var a = rec("a", running, ready: true)
        a.containerID = "u_a_0"
        a.imageID = "docker.io/library/busybox@sha256:00"
        let input = PodStatusBuilder.Input(initContainers: [], containers: [a, rec("b", running, ready: true)], sandboxReady: true,
                                           hostIP: "127.0.0.1", podIPs: ["10.1.0.7"], startTime: 100)
        let s = PodStatusBuilder.status(pod: pod, input: input, now: 200)
        #expect(s["phase"] == "Running")
        #expect(s["podIP"] == "10.1.0.7" && s["podIPs"] == [["ip": "10.1.0.7"]])
        #expect(s["hostIP"] == "127.0.0.1")
        #expect(s["qosClass"] == "BestEffort")
        #expect(s["startTime"] == "1970-01-01T00:01:40Z")
        #expect(condition(s, "Ready")?["status"] == "True")
        #expect(condition(s, "Ready")?["lastTransitionTime"] == "1970-01-01T00:03:20Z")
        #expect(condition(s, "PodScheduled")?["lastTransitionTime"] == "2024-01-01T00:00:00Z")
        #expect(condition(s, "PodReadyToStartContainers")?["status"] == "True")
        #expect(condition(s, "Initialized")?["status"] == "True")
        let first = s["containerStatuses"]?.array?.first
        #expect(first?["containerID"] == "runc://u_a_0")
        #expect(first?["state", "running", "startedAt"] == "1970-01-01T00:00:01Z")
        #expect(first?["started"] == true && first?["ready"] == true && first?["restartCount"] == 0)
        #expect(first?["imageID"] == "docker.io/library/busybox@sha256:00")
    }

    @Test func notReadyAndCrashLooping() {
        var b = rec("b", .waiting(reason: "CrashLoopBackOff", message: "back-off 10s"), last: exit(1))
        b.restartCount = 2
        let input = PodStatusBuilder.Input(initContainers: [], containers: [rec("a", running, ready: true), b], sandboxReady: true,
                                           hostIP: "127.0.0.1", podIPs: [], startTime: 100)
        let s = PodStatusBuilder.status(pod: pod, input: input, now: 200)
        #expect(s["podIP"] == nil)
        #expect(condition(s, "Ready")?["status"] == "False")
        #expect(condition(s, "Ready")?["lastTransitionTime"] == "2024-01-01T00:00:01Z")  // unchanged status keeps its time
        #expect(condition(s, "ContainersReady")?["message"] == "containers with unready status: [b]")
        let second = s["containerStatuses"]?.array?.last
        #expect(second?["state", "waiting", "reason"] == "CrashLoopBackOff")
        #expect(second?["lastState", "terminated", "exitCode"] == 1)
        #expect(second?["lastState", "terminated", "reason"] == "Error")
        #expect(second?["restartCount"] == 2)
    }

    @Test func initContainersPendingAndCompleted() {
        let input = PodStatusBuilder.Input(initContainers: [rec("i", running)], containers: [rec("a", creating), rec("b", creating)],
                                           sandboxReady: true, hostIP: "h", podIPs: [], startTime: nil)
        let s = PodStatusBuilder.status(pod: pod, input: input, now: 200)
        #expect(s["phase"] == "Pending")
        #expect(condition(s, "Initialized")?["reason"] == "ContainersNotInitialized")
        #expect(condition(s, "Initialized")?["message"] == "containers with incomplete status: [i]")
        #expect(s["initContainerStatuses"]?.array?.count == 1)

        let done = PodStatusBuilder.Input(initContainers: [], containers: [rec("a", exit(0)), rec("b", exit(0))], sandboxReady: false,
                                          hostIP: "h", podIPs: [], startTime: nil, terminalPhase: "Succeeded")
        let t = PodStatusBuilder.status(pod: pod, input: done, now: 200)
        #expect(t["phase"] == "Succeeded")
        #expect(condition(t, "Ready")?["reason"] == "PodCompleted")
        #expect(t["containerStatuses"]?.array?.first?["state", "terminated", "reason"] == "Completed")
    }

    @Test func imagePullPolicyDefaults() {
        #expect(PodWorker.pullPolicy(["image": "busybox"]) == "Always")
        #expect(PodWorker.pullPolicy(["image": "busybox:latest"]) == "Always")
        #expect(PodWorker.pullPolicy(["image": "busybox:1.36"]) == "IfNotPresent")
        #expect(PodWorker.pullPolicy(["image": .string("busybox@sha256:" + String(repeating: "a", count: 64))]) == "IfNotPresent")
        #expect(PodWorker.pullPolicy(["image": "busybox", "imagePullPolicy": "Never"]) == "Never")
    }

    @Test func bundleJoinsPinnedNamespacesByPath() {
        var spec = ContainerSpec(name: "a", args: ["sh"])
        spec.namespaces = .joinPaths(net: "/d/ns/net", ipc: "/d/ns/ipc", uts: "/d/ns/uts")
        spec.hostname = "ignored"
        let config = OCIBundle.config(for: spec, rootfs: "/r")
        let ns = config["linux", "namespaces"]?.array ?? []
        #expect(ns.contains(["type": "network", "path": "/d/ns/net"]))
        #expect(ns.contains(["type": "ipc", "path": "/d/ns/ipc"]))
        #expect(ns.contains(["type": "uts", "path": "/d/ns/uts"]))
        #expect(ns.contains(["type": "pid"]) && ns.contains(["type": "mount"]))
        #expect(config["hostname"] == nil)
        spec.namespaces = .joinPaths(net: nil, ipc: "/d/ns/ipc", uts: nil)  // host network and UTS
        let host = OCIBundle.config(for: spec, rootfs: "/r")["linux", "namespaces"]?.array ?? []
        #expect(host.count == 3 && !host.contains { $0["type"] == "network" || $0["type"] == "uts" })
    }
}
