import SkiffModel

/// Computes a Pod's `status` from its containers' records, as the kubelet's
/// `generateAPIPodStatus` does: phase, conditions, container statuses, IPs and QoS class.
public enum PodStatusBuilder {
    public struct Input: Sendable {
        public var initContainers: [ContainerRecord]
        public var containers: [ContainerRecord]
        /// The sandbox exists and its network is set up.
        public var sandboxReady: Bool
        public var hostIP: String
        public var podIPs: [String]
        public var startTime: Double?
        /// Set once the Pod reached Succeeded or Failed: the phase never changes back.
        public var terminalPhase: String?

        public init(initContainers: [ContainerRecord], containers: [ContainerRecord], sandboxReady: Bool, hostIP: String,
                    podIPs: [String], startTime: Double?, terminalPhase: String? = nil) {
            self.initContainers = initContainers
            self.containers = containers
            self.sandboxReady = sandboxReady
            self.hostIP = hostIP
            self.podIPs = podIPs
            self.startTime = startTime
            self.terminalPhase = terminalPhase
        }
    }

    /// Kubernetes' `getPhase`.
    public static func phase(restartPolicy: String, initContainers: [ContainerRecord], containers: [ContainerRecord]) -> String {
        var pendingInit = 0
        for c in initContainers {
            if c.succeeded { continue }
            if let t = c.termination, t.exitCode != 0, restartPolicy == "Never" { return "Failed" }
            pendingInit += 1
        }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for c in containers {
            switch c.state {
            case .running: running += 1
            case .terminated(let t):
                stopped += 1
                if t.exitCode == 0 { succeeded += 1 }
            case .waiting:
                if case .terminated = c.lastState { stopped += 1 } else { waiting += 1 }
            }
        }
        if pendingInit > 0 || waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if restartPolicy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if restartPolicy == "Never" { return "Failed" }
            return "Running"
        }
        return "Pending"
    }

    /// The Pod's `status`. `previous` is the status the API holds (for transition times and the
    /// scheduler's `PodScheduled` condition); `now` stamps conditions that changed.
    public static func status(pod: JSON, input: Input, now: Double) -> JSON {
        let previous = pod["status"] ?? .object([:])
        let restartPolicy = pod["spec", "restartPolicy"]?.string ?? "Always"
        let phase = input.terminalPhase
            ?? phase(restartPolicy: restartPolicy, initContainers: input.initContainers, containers: input.containers)
        let terminal = phase == "Succeeded" || phase == "Failed"

        let incompleteInit = input.initContainers.filter { !$0.succeeded }.map(\.name)
        let unready = input.containers.filter { !$0.ready }.map(\.name)
        var conditions: [JSON] = []
        func condition(_ type: String, _ ok: Bool, reason: String? = nil, message: String? = nil) {
            let status = ok ? "True" : "False"
            let old = previous["conditions"]?.array?.first { $0["type"]?.string == type }
            var c: JSON = ["type": .string(type), "status": .string(status), "lastProbeTime": .null]
            c["lastTransitionTime"] = old?["status"]?.string == status ? old?["lastTransitionTime"] : .string(Timestamp.format(now))
            if let reason { c["reason"] = .string(reason) }
            if let message { c["message"] = .string(message) }
            conditions.append(c)
        }
        condition("PodReadyToStartContainers", input.sandboxReady && !terminal)
        if incompleteInit.isEmpty {
            condition("Initialized", true, reason: terminal && !input.initContainers.isEmpty ? "PodCompleted" : nil)
        } else {
            condition("Initialized", false, reason: "ContainersNotInitialized",
                      message: "containers with incomplete status: [\(incompleteInit.joined(separator: " "))]")
        }
        let ready = unready.isEmpty && incompleteInit.isEmpty && !terminal
        let notReadyReason = terminal ? "PodCompleted" : "ContainersNotReady"
        let notReadyMessage = terminal ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        condition("ContainersReady", ready, reason: ready ? nil : notReadyReason, message: ready ? nil : notReadyMessage)
        condition("Ready", ready, reason: ready ? nil : notReadyReason, message: ready ? nil : notReadyMessage)
        if let scheduled = previous["conditions"]?.array?.first(where: { $0["type"]?.string == "PodScheduled" }) {
            conditions.append(scheduled)
        } else {
            condition("PodScheduled", true)
        }

        var status: JSON = [
            "phase": .string(phase),
            "conditions": .array(conditions),
            "containerStatuses": .array(input.containers.map { $0.json() }),
            "qosClass": .string(QOSClass.of(pod: pod).rawValue),
        ]
        if !input.initContainers.isEmpty { status["initContainerStatuses"] = .array(input.initContainers.map { $0.json() }) }
        if !input.hostIP.isEmpty {
            status["hostIP"] = .string(input.hostIP)
            status["hostIPs"] = [["ip": .string(input.hostIP)]]
        }
        if let ip = input.podIPs.first {
            status["podIP"] = .string(ip)
            status["podIPs"] = .array(input.podIPs.map { ["ip": .string($0)] })
        }
        if let t = input.startTime { status["startTime"] = .string(Timestamp.format(t)) }
        return status
    }
}
