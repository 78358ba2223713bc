import SkiffModel

/// The node conditions and taints the node lifecycle controller derives (pure functions of the
/// Node; the controller performs the writes).
enum NodeConditions {
    /// The conditions set to Unknown, besides Ready, when the kubelet stops posting status.
    static let others = ["MemoryPressure", "DiskPressure", "PIDPressure"]

    static func condition(_ node: JSON, _ type: String) -> JSON? {
        node["status", "conditions"]?.array?.first { $0["type"]?.string == type }
    }

    /// `Ready`'s status: "True", "False", "Unknown", or nil when the node has none.
    static func ready(_ node: JSON) -> String? { condition(node, "Ready")?["status"]?.string }

    /// The node's status with Ready and the pressure conditions set to Unknown (reason
    /// `NodeStatusUnknown`, or `NodeStatusNeverUpdated` for a condition the kubelet never
    /// posted), as `tryUpdateNodeHealth` does once the grace period is over; nil if every one
    /// already is Unknown.
    static func markedUnknown(_ node: JSON, now: String) -> JSON? {
        var conditions = node["status", "conditions"]?.array ?? []
        var changed = false
        for type in ["Ready"] + others {
            if let i = conditions.firstIndex(where: { $0["type"]?.string == type }) {
                guard conditions[i]["status"]?.string != "Unknown" else { continue }
                conditions[i]["status"] = "Unknown"
                conditions[i]["reason"] = "NodeStatusUnknown"
                conditions[i]["message"] = "Kubelet stopped posting node status."
                conditions[i]["lastTransitionTime"] = .string(now)
            } else {
                conditions.append(["type": .string(type), "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.", "lastHeartbeatTime": .string(now),
                                   "lastTransitionTime": .string(now)])
            }
            changed = true
        }
        guard changed else { return nil }
        var updated = node
        updated["status", "conditions"] = .array(conditions)
        return updated
    }

    /// The controller-owned taints the node should carry: not-ready or unreachable with both
    /// effects from Ready (False / Unknown), the pressure and network-unavailable taints
    /// (NoSchedule) from their conditions, unschedulable from `spec.unschedulable`.
    static func desiredTaints(_ node: JSON, noExecute: Bool = true) -> [(key: String, effect: String)] {
        var taints: [(String, String)] = []
        switch ready(node) {
        case "False": taints += [(Taints.notReady, "NoSchedule")] + (noExecute ? [(Taints.notReady, "NoExecute")] : [])
        case "Unknown": taints += [(Taints.unreachable, "NoSchedule")] + (noExecute ? [(Taints.unreachable, "NoExecute")] : [])
        default: break
        }
        let pressure = [("MemoryPressure", Taints.memoryPressure), ("DiskPressure", Taints.diskPressure),
                        ("PIDPressure", Taints.pidPressure), ("NetworkUnavailable", Taints.networkUnavailable)]
        for (type, key) in pressure where condition(node, type)?["status"]?.string == "True" {
            taints.append((key, "NoSchedule"))
        }
        if node["spec", "unschedulable"]?.bool == true { taints.append((Taints.unschedulable, "NoSchedule")) }
        return taints
    }

    /// Whether the node should get a not-ready or unreachable NoExecute taint it does not have
    /// yet (what the eviction rate limits).
    static func needsNewNoExecute(_ node: JSON) -> Bool {
        let current = node["spec", "taints"]?.array ?? []
        return desiredTaints(node).contains { d in
            d.effect == "NoExecute" && !current.contains { $0["key"]?.string == d.key && $0["effect"]?.string == "NoExecute" }
        }
    }

    /// `spec.taints` with the controller's taints made `desiredTaints` (others kept in order,
    /// new ones appended with `timeAdded`); nil when nothing changes. `noExecute` false leaves
    /// the not-ready and unreachable NoExecute taints out (and removes them); `holdNoExecute`
    /// keeps them as they are on the node (no new one while the eviction rate says wait).
    static func reconciledTaints(_ node: JSON, now: String, noExecute: Bool = true, holdNoExecute: Bool = false) -> [JSON]? {
        let current = node["spec", "taints"]?.array ?? []
        var desired = desiredTaints(node, noExecute: noExecute && !holdNoExecute)
        if holdNoExecute {
            for t in current where t["effect"]?.string == "NoExecute" {
                if let key = t["key"]?.string, key == Taints.notReady || key == Taints.unreachable { desired.append((key, "NoExecute")) }
            }
        }
        var result = current.filter { taint in
            guard let key = taint["key"]?.string, Taints.controllerKeys.contains(key) else { return true }
            return desired.contains { $0.key == key && $0.effect == taint["effect"]?.string }
        }
        for d in desired where !result.contains(where: { $0["key"]?.string == d.key && $0["effect"]?.string == d.effect }) {
            result.append(["key": .string(d.key), "effect": .string(d.effect), "timeAdded": .string(now)])
        }
        return result == current ? nil : result
    }
}
