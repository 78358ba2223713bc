/// What the agent's HTTP server (`KubeletServer`) needs from the pods it runs: where a container's
/// log is, whether it still runs, and how to start a process in it.
///
/// The pod worker implements this over its runtime and its record of containers; the server never
/// sees the runtime directly. Every call may throw a `KubeletStreamingError` to answer with a
/// status code and message of its own (the kubelet's words, e.g.
/// `container "web" in pod "p" is waiting to start: ContainerCreating` as 400).
public protocol KubeletStreamingBackend: Sendable {
    /// The CRI log file of a container (its current attempt, or the previous one when `previous`),
    /// nil if the pod or container is unknown (answered 404).
    func logPath(namespace: String, pod: String, container: String, previous: Bool) async throws -> String?

    /// Whether the container is still running: `follow` ends once it is not and the log is drained.
    func isRunning(namespace: String, pod: String, container: String) async -> Bool

    /// Starts `command` in the container with pipes (and a terminal when `tty`).
    /// The returned session's descriptors belong to the caller, who closes them.
    func exec(namespace: String, pod: String, container: String, command: [String], tty: Bool, stdin: Bool) async throws -> ExecSession

    /// Connects to `port` on 127.0.0.1 inside the Pod's network namespace (`kubectl port-forward`).
    /// The returned socket belongs to the caller, who closes it.
    func portForward(namespace: String, pod: String, port: Int) async throws -> Int32

    /// Attaches to the running container's own stdio (`kubectl attach`).
    func attach(namespace: String, pod: String, container: String, stdin: Bool, tty: Bool) async throws -> AttachSession
}

extension KubeletStreamingBackend {
    /// A backend without Pod networking answers port forwards with an error.
    public func portForward(namespace: String, pod: String, port: Int) async throws -> Int32 {
        throw KubeletStreamingError(status: 500, "port forwarding is not supported by this backend")
    }

    /// A backend that does not keep containers' stdio answers attaches with an error.
    public func attach(namespace: String, pod: String, container: String, stdin: Bool, tty: Bool) async throws -> AttachSession {
        throw KubeletStreamingError(status: 500, "attach is not supported by this backend")
    }
}

/// An error a backend reports with the HTTP status the kubelet would answer with.
public struct KubeletStreamingError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func notFound(_ message: String) -> KubeletStreamingError { .init(status: 404, message) }
    public static func badRequest(_ message: String) -> KubeletStreamingError { .init(status: 400, message) }

    public var description: String { message }
}
