import SkiffModel

/// Where the Pod network plugs in (CNI): called once the Pod's network namespace exists, and
/// again to tear it down before the namespace is removed. Not called for host-network Pods.
public protocol PodNetwork: Sendable {
    /// Sets up the Pod's interfaces in `netnsPath`; returns the Pod's IPs (first is `podIP`).
    func setUp(pod: JSON, netnsPath: String) async throws -> [String]
    /// Releases what `setUp` made (addresses, interfaces, port mappings). Idempotent.
    func tearDown(pod: JSON, netnsPath: String) async throws
}

/// No Pod network configured: Pods have only loopback, and no Pod IP.
public struct LoopbackOnlyNetwork: PodNetwork {
    public init() {}
    public func setUp(pod: JSON, netnsPath: String) async throws -> [String] { [] }
    public func tearDown(pod: JSON, netnsPath: String) async throws {}
}
