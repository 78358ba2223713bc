import SkiffModel

/// A Pod's quality of service class, computed as Kubernetes' `GetPodQOS` does.
public enum QOSClass: String, Sendable, Hashable {
    case guaranteed = "Guaranteed"
    case burstable = "Burstable"
    case bestEffort = "BestEffort"

    /// Guaranteed: every container has cpu and memory limits, and requests equal to them.
    /// BestEffort: no container has any cpu or memory request or limit. Else Burstable.
    public static func of(pod: JSON) -> QOSClass {
        if let q = pod["status", "qosClass"]?.string, let c = QOSClass(rawValue: q) { return c }
        let containers = (pod["spec", "initContainers"]?.array ?? []) + (pod["spec", "containers"]?.array ?? [])
        var any = false
        var guaranteed = true
        for c in containers {
            for res in ["cpu", "memory"] {
                let req = quantity(c["resources", "requests", res])
                let lim = quantity(c["resources", "limits", res])
                if (req.map { !$0.isZero } ?? false) || (lim.map { !$0.isZero } ?? false) { any = true }
                // A missing request defaults to the limit.
                guard let l = lim, !l.isZero, (req ?? l) == l else { guaranteed = false; continue }
            }
        }
        if !any { return .bestEffort }
        return guaranteed ? .guaranteed : .burstable
    }

    /// The kubelet's oom_score_adj policy.
    public func oomScoreAdj(container: JSON, nodeMemoryBytes: Int64) -> Int {
        switch self {
        case .guaranteed: return -997
        case .bestEffort: return 1000
        case .burstable:
            let request = quantity(container["resources", "requests", "memory"])
                ?? quantity(container["resources", "limits", "memory"])
            let req = request?.value ?? 0
            guard nodeMemoryBytes > 0 else { return 999 }
            let adj = 1000 - Int((Double(req) * 1000 / Double(nodeMemoryBytes)).rounded(.down))
            return Swift.min(Swift.max(adj, 2), 999)
        }
    }
}

func quantity(_ j: JSON?) -> Quantity? {
    guard let j else { return nil }
    return try? Quantity(json: j)
}
