import SkiffModel

/// Taints and tolerations held as JSON (k8s.io/api/core/v1 `Taint.MatchTaint`,
/// `Toleration.ToleratesTaint`, `v1helper.GetMatchingTolerations`).
enum Taints {
    static let notReady = "node.kubernetes.io/not-ready"
    static let unreachable = "node.kubernetes.io/unreachable"
    static let unschedulable = "node.kubernetes.io/unschedulable"
    static let memoryPressure = "node.kubernetes.io/memory-pressure"
    static let diskPressure = "node.kubernetes.io/disk-pressure"
    static let pidPressure = "node.kubernetes.io/pid-pressure"
    static let networkUnavailable = "node.kubernetes.io/network-unavailable"

    /// The taint keys this controller owns: it adds and removes them, never touching others.
    static let controllerKeys: Set<String> = [notReady, unreachable, unschedulable, memoryPressure, diskPressure, pidPressure,
                                              networkUnavailable]

    /// Same key and effect (`Taint.MatchTaint`).
    static func same(_ a: JSON, _ b: JSON) -> Bool {
        a["key"]?.string == b["key"]?.string && a["effect"]?.string == b["effect"]?.string
    }

    /// Whether `toleration` tolerates `taint` (`Toleration.ToleratesTaint`).
    static func tolerates(_ toleration: JSON, _ taint: JSON) -> Bool {
        let effect = toleration["effect"]?.string ?? ""
        if !effect.isEmpty && effect != taint["effect"]?.string { return false }
        let key = toleration["key"]?.string ?? ""
        if !key.isEmpty && key != taint["key"]?.string { return false }
        switch toleration["operator"]?.string ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (toleration["value"]?.string ?? "") == (taint["value"]?.string ?? "")
        default: return false
        }
    }

    /// For each taint, the first toleration that tolerates it; nil if some taint is not tolerated.
    static func matchingTolerations(_ taints: [JSON], _ tolerations: [JSON]) -> [JSON]? {
        var used: [JSON] = []
        for taint in taints {
            guard let t = tolerations.first(where: { tolerates($0, taint) }) else { return nil }
            used.append(t)
        }
        return used
    }

    /// The node's `NoExecute` taints.
    static func noExecute(_ node: JSON) -> [JSON] {
        (node["spec", "taints"]?.array ?? []).filter { $0["effect"]?.string == "NoExecute" }
    }
}

/// When a Pod on a node with `NoExecute` taints must go (the taint manager's `processPodOnNode`).
enum EvictionDelay: Equatable, Sendable {
    /// Every taint is tolerated forever.
    case never
    /// Some taint is not tolerated, or a matching toleration's `tolerationSeconds` is 0 or less.
    case now
    /// The smallest `tolerationSeconds` among the tolerations used.
    case after(seconds: Int64)

    static func of(pod: JSON, taints: [JSON]) -> EvictionDelay {
        if taints.isEmpty { return .never }
        guard let used = Taints.matchingTolerations(taints, pod["spec", "tolerations"]?.array ?? []) else { return .now }
        var least: Int64?
        for t in used {
            guard let seconds = t["tolerationSeconds"]?.int else { continue }
            if seconds <= 0 { return .now }
            least = min(least ?? seconds, seconds)
        }
        return least.map { .after(seconds: $0) } ?? .never
    }
}
