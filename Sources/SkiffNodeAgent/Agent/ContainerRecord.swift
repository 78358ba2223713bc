import SkiffModel

/// What the agent knows about one container of a Pod: the state it reports in
/// `containerStatuses` (or `initContainerStatuses`).
public struct ContainerRecord: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case waiting(reason: String, message: String?)
        case running(startedAt: Double)
        case terminated(Termination)
    }

    public struct Termination: Sendable, Hashable {
        public var exitCode: Int32
        public var signal: Int32?
        public var reason: String
        public var message: String?
        public var startedAt: Double?
        public var finishedAt: Double
        public var containerID: String?

        public init(exitCode: Int32, signal: Int32? = nil, reason: String, message: String? = nil, startedAt: Double?,
                    finishedAt: Double, containerID: String?) {
            self.exitCode = exitCode
            self.signal = signal
            self.reason = reason
            self.message = message
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.containerID = containerID
        }
    }

    public var name: String
    /// The image as the Pod spec names it.
    public var image: String
    /// The image's identity (`name@sha256:...`), once resolved.
    public var imageID: String
    /// The runtime id of the current (or last) run, as `runc://<id>` when reported.
    public var containerID: String?
    public var restartCount: Int
    public var state: State
    public var lastState: State?
    public var ready: Bool
    /// Running, but its startup probe has not succeeded yet (`started` is false).
    public var startupPending = false
    /// When the API last reported it running (used when adopting it after an agent restart).
    var runningSince: Double?

    public init(name: String, image: String, waitingReason: String) {
        self.name = name
        self.image = image
        imageID = ""
        containerID = nil
        restartCount = 0
        state = .waiting(reason: waitingReason, message: nil)
        lastState = nil
        ready = false
    }

    public var isRunning: Bool { if case .running = state { return true } else { return false } }

    public var termination: Termination? { if case .terminated(let t) = state { return t } else { return nil } }

    /// Succeeded: terminated with exit code 0.
    public var succeeded: Bool { termination?.exitCode == 0 }

    /// The `containerStatuses` entry.
    public func json() -> JSON {
        var o: JSON = ["name": .string(name), "image": .string(image), "imageID": .string(imageID),
                       "ready": .bool(ready), "restartCount": .int(Int64(restartCount)),
                       "started": .bool(isRunning && !startupPending), "state": Self.stateJSON(state),
                       "lastState": lastState.map(Self.stateJSON) ?? .object([:])]
        if let containerID { o["containerID"] = .string("runc://" + containerID) }
        return o
    }

    static func stateJSON(_ s: State) -> JSON {
        switch s {
        case .waiting(let reason, let message):
            var w: JSON = ["reason": .string(reason)]
            if let message { w["message"] = .string(message) }
            return ["waiting": w]
        case .running(let at):
            return ["running": ["startedAt": .string(Timestamp.format(at))]]
        case .terminated(let t):
            var o: JSON = ["exitCode": .int(Int64(t.exitCode)), "reason": .string(t.reason),
                           "finishedAt": .string(Timestamp.format(t.finishedAt))]
            if let s = t.signal { o["signal"] = .int(Int64(s)) }
            if let m = t.message { o["message"] = .string(m) }
            if let s = t.startedAt { o["startedAt"] = .string(Timestamp.format(s)) }
            if let id = t.containerID { o["containerID"] = .string("runc://" + id) }
            return ["terminated": o]
        }
    }
}
