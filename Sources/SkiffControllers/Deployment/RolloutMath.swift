import SkiffModel

/// The arithmetic of Deployment rollouts (deployment util), over Deployments and ReplicaSets as JSON.
enum RolloutMath {
    /// An int-or-percent (`maxSurge: 1`, `maxUnavailable: "25%"`) as a number of Pods out of
    /// `total`: percentages round up for surge and down for unavailability, as Kubernetes'
    /// `GetScaledValueFromIntOrPercent`. Absent means 25%.
    static func scaledValue(_ value: JSON?, total: Int, roundUp: Bool) -> Int {
        switch value {
        case .int(let i)?:
            return Int(i)
        case .string(let s)?:
            if s.hasSuffix("%"), let percent = Int(s.dropLast()) {
                let product = percent * total
                return roundUp ? (product + 99) / 100 : product / 100
            }
            return Int(s) ?? 0
        default:
            return roundUp ? (25 * total + 99) / 100 : 25 * total / 100
        }
    }

    static func isRollingUpdate(_ d: JSON) -> Bool {
        (d["spec", "strategy", "type"]?.string ?? "RollingUpdate") == "RollingUpdate"
    }

    /// maxSurge and maxUnavailable for `desired` replicas; both zero is taken as unavailable 1
    /// (ResolveFenceposts), so a rollout can always move.
    static func fenceposts(_ d: JSON) -> (surge: Int, unavailable: Int) {
        let desired = d.specReplicas
        let surge = scaledValue(d["spec", "strategy", "rollingUpdate", "maxSurge"], total: desired, roundUp: true)
        let unavailable = scaledValue(d["spec", "strategy", "rollingUpdate", "maxUnavailable"], total: desired, roundUp: false)
        if surge == 0 && unavailable == 0 { return (0, 1) }
        return (surge, unavailable)
    }

    /// How many Pods above `spec.replicas` a rolling update may run; 0 for Recreate.
    static func maxSurge(_ d: JSON) -> Int {
        isRollingUpdate(d) ? fenceposts(d).surge : 0
    }

    /// How many Pods below `spec.replicas` may be unavailable; 0 for Recreate or no replicas.
    static func maxUnavailable(_ d: JSON) -> Int {
        guard isRollingUpdate(d), d.specReplicas > 0 else { return 0 }
        return min(fenceposts(d).unavailable, d.specReplicas)
    }

    /// The sum of `spec.replicas`.
    static func specReplicas(_ rss: [JSON]) -> Int { rss.reduce(0) { $0 + $1.specReplicas } }

    /// The sum of a `status` count.
    static func statusReplicas(_ rss: [JSON], _ field: String = "replicas") -> Int { rss.reduce(0) { $0 + $1.statusCount(field) } }

    /// ReplicaSets with `spec.replicas` above zero.
    static func active(_ rss: [JSON]) -> [JSON] { rss.filter { $0.specReplicas > 0 } }

    /// The size the new ReplicaSet may grow to now (NewRSNewReplicas): for a rolling update, up to
    /// `replicas + maxSurge` Pods in all ReplicaSets and never above `replicas`; for Recreate, `replicas`.
    static func newReplicaSetReplicas(_ d: JSON, all: [JSON], new: JSON) -> Int {
        let desired = d.specReplicas
        guard isRollingUpdate(d) else { return desired }
        let maxTotal = desired + scaledValue(d["spec", "strategy", "rollingUpdate", "maxSurge"], total: desired, roundUp: true)
        let current = specReplicas(all)
        if current >= maxTotal { return new.specReplicas }
        return new.specReplicas + min(maxTotal - current, desired - new.specReplicas)
    }

    /// Whether the new ReplicaSet runs everything (IsSaturated): full size, annotated with the
    /// Deployment's size, and all available.
    static func isSaturated(_ d: JSON, _ rs: JSON?) -> Bool {
        guard let rs, let desired = DeploymentAnnotations.desiredReplicas(of: rs) else { return false }
        return rs.specReplicas == d.specReplicas && desired == d.specReplicas && rs.statusCount("availableReplicas") == d.specReplicas
    }

    /// The share of `toAdd` (positive or negative) a ReplicaSet gets when the Deployment is
    /// resized mid-rollout (GetProportion), given `added` already handed out.
    static func proportion(_ rs: JSON, _ d: JSON, toAdd: Int, added: Int) -> Int {
        guard rs.specReplicas != 0, toAdd != 0, toAdd != added else { return 0 }
        let fraction = fraction(rs, d)
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }

    /// How much the ReplicaSet would change to keep its share of the Deployment's new maximum size.
    static func fraction(_ rs: JSON, _ d: JSON) -> Int {
        if d.specReplicas == 0 { return -rs.specReplicas }
        let newMax = d.specReplicas + maxSurge(d)
        var oldMax = DeploymentAnnotations.maxReplicas(of: rs) ?? 0
        if oldMax == 0 {
            oldMax = d.statusCount("replicas")
            if oldMax == 0 { return 0 }
        }
        let scaled = (Double(rs.specReplicas * newMax) / Double(oldMax)).rounded(.toNearestOrAwayFromZero)
        return Int(scaled) - rs.specReplicas
    }

    /// The one active ReplicaSet, or the newest when none is active; nil with several active (FindActiveOrLatest).
    static func activeOrLatest(new: JSON?, old: [JSON]) -> JSON? {
        if new == nil && old.isEmpty { return nil }
        let oldNewestFirst = ReplicaSetOrder.byCreation(old).reversed()
        let all = active(Array(oldNewestFirst) + (new.map { [$0] } ?? []))
        switch all.count {
        case 0: return new ?? oldNewestFirst.first
        case 1: return all[0]
        default: return nil
        }
    }

    /// Rolled out completely: every replica updated and available, and the latest spec observed.
    static func isComplete(_ d: JSON, status: JSON) -> Bool {
        let desired = Int64(d.specReplicas)
        return (status["updatedReplicas"]?.int ?? 0) == desired && (status["replicas"]?.int ?? 0) == desired
            && (status["availableReplicas"]?.int ?? 0) == desired && (status["observedGeneration"]?.int ?? 0) >= d.objectGeneration
    }

    /// Whether `new` shows progress over the Deployment's current status (DeploymentProgressing).
    static func isProgressing(_ d: JSON, status new: JSON) -> Bool {
        let old = d["status"] ?? [:]
        func n(_ s: JSON, _ f: String) -> Int64 { s[f]?.int ?? 0 }
        return n(new, "updatedReplicas") > n(old, "updatedReplicas")
            || n(new, "replicas") - n(new, "updatedReplicas") < n(old, "replicas") - n(old, "updatedReplicas")
            || n(new, "readyReplicas") > n(old, "readyReplicas")
            || n(new, "availableReplicas") > n(old, "availableReplicas")
    }

    /// `spec.progressDeadlineSeconds`, unless absent or "never" (MaxInt32).
    static func progressDeadline(_ d: JSON) -> Int? {
        guard let s = d["spec", "progressDeadlineSeconds"]?.int, s != Int64(Int32.max) else { return nil }
        return Int(s)
    }

    /// `spec.revisionHistoryLimit`, unless absent or unlimited (MaxInt32).
    static func revisionHistoryLimit(_ d: JSON) -> Int? {
        guard let n = d["spec", "revisionHistoryLimit"]?.int, n != Int64(Int32.max) else { return nil }
        return Int(n)
    }
}
