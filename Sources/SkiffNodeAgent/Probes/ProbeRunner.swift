/// Where a probe runs: the container (exec) and the Pod's address (httpGet, tcpSocket, grpc).
public struct ProbeTarget: Sendable, Hashable {
    /// The runtime id of the container's current run.
    public var containerID: String
    /// The Pod's IP (the default host of network probes); nil when it has none.
    public var podIP: String?

    public init(containerID: String, podIP: String?) {
        self.containerID = containerID
        self.podIP = podIP
    }
}

/// The outcome of one probe run.
public struct ProbeResult: Sendable, Hashable {
    public var success: Bool
    /// Why it failed, as the kubelet words it (the exec's output, `HTTP probe failed with
    /// statuscode: 500`, `dial tcp ...: connect: connection refused`).
    public var message: String

    public static func success(_ message: String = "") -> ProbeResult { .init(success: true, message: message) }
    public static func failure(_ message: String) -> ProbeResult { .init(success: false, message: message) }
}

/// Runs a probe's handler once, within `probe.timing.timeoutSeconds`; never throws: an error is
/// a failed result.
public protocol ProbeRunner: Sendable {
    func run(_ probe: Probe, target: ProbeTarget) async -> ProbeResult
}

/// The result of `operation`, or nil when `seconds` pass first; the operation is cancelled then
/// (it must honour cancellation).
func withTimeout<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async -> T) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(for: .milliseconds(Int64(max(seconds, 0) * 1000)))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
