import SkiffModel

/// What a simulated node does with a Pod bound to it, as a pure function of the Pod (the
/// level-triggered core of the simulator, tested without I/O).
public enum PodLifecycle {
    public enum Action: Sendable, Equatable {
        /// Nothing to do: the Pod is running and ready, or finished.
        case none
        /// Report the Pod running and ready.
        case start
        /// The Pod is being deleted: finish the deletion (grace period 0).
        case delete
        /// Its containers exited (`PodExit`): report the Pod finished.
        case exit
    }

    /// `now`: seconds since the epoch, compared with the `PodExit` time of a running Pod.
    public static func action(for pod: JSON, now: Double = Timestamp.now()) -> Action {
        if let ts = pod["metadata", "deletionTimestamp"], !ts.isNull { return .delete }
        let phase = pod["status", "phase"]?.string
        if phase == "Succeeded" || phase == "Failed" { return .none }
        if phase == "Running", isReady(pod) {
            if let exit = PodExit.exitTime(for: pod), exit <= now { return .exit }
            return .none
        }
        return .start
    }

    static func isReady(_ pod: JSON) -> Bool {
        (pod["status", "conditions"]?.array ?? []).contains { $0["type"]?.string == "Ready" && $0["status"]?.string == "True" }
    }

    /// The Pod's status once "started": phase Running, the addresses, start time, the
    /// conditions PodReadyToStartContainers, Initialized, ContainersReady, Ready and
    /// PodScheduled all True, each container running and ready, each init container
    /// completed (restartable ones running). Existing start and transition times are kept.
    public static func runningStatus(for pod: JSON, podIP: String, hostIP: String, now: String) -> JSON {
        var status = pod["status"] ?? [:]
        let startTime = status["startTime"]?.string ?? now
        status["phase"] = "Running"
        status["podIP"] = .string(podIP)
        status["podIPs"] = [["ip": .string(podIP)]]
        status["hostIP"] = .string(hostIP)
        status["hostIPs"] = [["ip": .string(hostIP)]]
        status["startTime"] = .string(startTime)
        let old = status["conditions"]?.array ?? []
        func condition(_ type: String) -> JSON {
            let previous = old.first { $0["type"]?.string == type && $0["status"]?.string == "True" }
            return ["type": .string(type), "status": "True", "lastProbeTime": .null,
                    "lastTransitionTime": previous?["lastTransitionTime"] ?? .string(now)]
        }
        status["conditions"] = .array(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map(condition))
        let spec = pod["spec"] ?? [:]
        let uid = pod["metadata", "uid"]?.string ?? ""
        func containerID(_ name: String) -> JSON { .string("skiff-sim://\(uid)/\(name)") }
        status["containerStatuses"] = .array((spec["containers"]?.array ?? []).map { c in
            let name = c["name"]?.string ?? ""
            return ["name": .string(name), "image": c["image"] ?? "", "imageID": "", "containerID": containerID(name),
                    "ready": true, "started": true, "restartCount": 0, "lastState": [:],
                    "state": ["running": ["startedAt": .string(startTime)]]]
        })
        if let inits = spec["initContainers"]?.array, !inits.isEmpty {
            status["initContainerStatuses"] = .array(inits.map { c in
                let name = c["name"]?.string ?? ""
                let sidecar = c["restartPolicy"]?.string == "Always"
                let state: JSON = sidecar ? ["running": ["startedAt": .string(startTime)]]
                    : ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": .string(startTime),
                                      "finishedAt": .string(startTime), "containerID": containerID(name)]]
                return ["name": .string(name), "image": c["image"] ?? "", "imageID": "", "containerID": containerID(name),
                        "ready": true, "started": .bool(sidecar), "restartCount": 0, "lastState": [:], "state": state]
            })
        }
        return status
    }
}
