import SkiffModel

/// The rolling update arithmetic of a DaemonSet (updatedDesiredNodeCounts, findUpdatedPodsOnNode).
enum DaemonSetRollout {
    static func isRollingUpdate(_ ds: JSON) -> Bool {
        (ds["spec", "updateStrategy", "type"]?.string ?? "RollingUpdate") == "RollingUpdate"
    }

    /// `maxSurge` and `maxUnavailable` resolved against the desired number of nodes (percentages
    /// rounded up); both zero means one unavailable.
    static func limits(_ ds: JSON, desired: Int) -> (surge: Int, unavailable: Int) {
        let rolling = ds["spec", "updateStrategy", "rollingUpdate"]
        var surge = scaled(rolling?["maxSurge"], total: desired, fallback: 0)
        var unavailable = scaled(rolling?["maxUnavailable"], total: desired, fallback: 1)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        if surge > 0 && !isRollingUpdate(ds) { surge = 0 }
        return (surge, unavailable)
    }

    /// An int-or-percent value; a percentage of `total`, rounded up.
    static func scaled(_ value: JSON?, total: Int, fallback: Int) -> Int {
        switch value {
        case .int(let n)?: return Int(n)
        case .string(let s)? where s.hasSuffix("%"):
            guard let p = Int(s.dropLast()) else { return fallback }
            return (p * total + 99) / 100
        case .string(let s)?: return Int(s) ?? fallback
        default: return fallback
        }
    }

    /// The Pod of the current template and the old one on a node, ignoring Pods being deleted;
    /// nil when there are two of either (the manage pass removes duplicates first).
    static func split(_ pods: [JSON], hash: String, generation: String?) -> (new: JSON?, old: JSON?)? {
        var new: JSON?, old: JSON?
        for pod in pods where !pod.isBeingDeleted {
            if DaemonSetNodes.isUpdated(pod, hash: hash, generation: generation) {
                if new != nil { return nil }
                new = pod
            } else {
                if old != nil { return nil }
                old = pod
            }
        }
        return (new, old)
    }
}
