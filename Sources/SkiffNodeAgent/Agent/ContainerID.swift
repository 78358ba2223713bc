/// The runtime id of one run of one container: `<pod uid>_<container name>_<attempt>`.
///
/// Pod UIDs and container names (DNS labels) never contain `_`, so the id decodes back to its
/// parts: the agent recognises its containers after a restart from the runtime's list alone.
/// `attempt` is the container's restart count when it was started.
public struct ContainerID: Sendable, Hashable, CustomStringConvertible {
    public var podUID: String
    public var container: String
    public var attempt: Int

    public init(podUID: String, container: String, attempt: Int) {
        self.podUID = podUID
        self.container = container
        self.attempt = attempt
    }

    /// Parses an id made by `description`; nil for anything else (containers not the agent's).
    public init?(_ id: String) {
        let parts = id.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, let n = Int(parts[2]), n >= 0,
              String(n) == parts[2] else { return nil }
        podUID = String(parts[0])
        container = String(parts[1])
        attempt = n
    }

    public var description: String { "\(podUID)_\(container)_\(attempt)" }
}
