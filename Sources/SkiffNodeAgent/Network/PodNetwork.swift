import SkiffModel

/// How the node agent gives a Pod its network: the seam between the pod workers and a network
/// implementation (`CNINetwork` runs the CNI plugins).
///
/// The agent creates the Pod's network namespace, pinned at a path (as `ip netns add` does),
/// calls `setUp` before the first container starts, and `tearDown` after the last one stopped
/// and before it removes the namespace.
public protocol PodNetwork: Sendable {
    /// Attaches the Pod's network namespace at `netnsPath`; returns the Pod's IPs (IPv4 first).
    func setUp(pod: JSON, netnsPath: String) async throws -> [String]
    /// Detaches it and releases its IP; idempotent (a second call, or a call after the netns vanished, succeeds).
    func tearDown(pod: JSON, netnsPath: String) async throws
}

/// No Pod network configured: Pods have only loopback, and no Pod IP.
public struct LoopbackOnlyNetwork: PodNetwork {
    public init() {}
    public func setUp(pod: JSON, netnsPath: String) async throws -> [String] { [] }
    public func tearDown(pod: JSON, netnsPath: String) async throws {}
}
