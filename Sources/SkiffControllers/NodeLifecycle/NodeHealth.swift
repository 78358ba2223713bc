import SkiffModel

/// When the controller last saw each node show a sign of life (`nodeHealthData` of the node
/// lifecycle controller): a new Ready heartbeat or a renewed Lease moves the node's probe time
/// to the controller's clock's now. Times are the controller's monotonic clock, so a stopped
/// kubelet is noticed even when its clock and the controller's disagree.
struct NodeHealth: Sendable {
    struct Entry: Sendable {
        var probe: Duration
        var heartbeat: String?
        var renewTime: String?
    }

    var entries: [String: Entry] = [:]

    /// Records what `node` and its `lease` show now; returns the node's probe time.
    mutating func observe(node: JSON, lease: JSON?, now: Duration) -> Duration {
        let name = node["metadata", "name"]?.string ?? ""
        let heartbeat = NodeConditions.condition(node, "Ready")?["lastHeartbeatTime"]?.string
        let renewTime = lease?["spec", "renewTime"]?.string
        guard var entry = entries[name] else {
            entries[name] = Entry(probe: now, heartbeat: heartbeat, renewTime: renewTime)
            return now
        }
        if heartbeat != entry.heartbeat {
            entry.heartbeat = heartbeat
            entry.probe = now
        }
        if let renewTime, renewTime != entry.renewTime, Self.later(renewTime, than: entry.renewTime) {
            entry.renewTime = renewTime
            entry.probe = now
        }
        entries[name] = entry
        return entry.probe
    }

    /// Forgets nodes not in `names`.
    mutating func retain(_ names: Set<String>) {
        entries = entries.filter { names.contains($0.key) }
    }

    static func later(_ a: String, than b: String?) -> Bool {
        guard let b else { return true }
        guard let ta = Timestamp.parse(a), let tb = Timestamp.parse(b) else { return a != b }
        return ta > tb
    }
}
