import SkiffModel

/// One `topologySpreadConstraints[]` entry of a Pod, with `matchLabelKeys` folded into its
/// selector and the defaults Kubernetes applies (`minDomains` 1, node affinity honoured, node
/// taints ignored).
public struct TopologySpreadConstraint: Sendable, Hashable {
    public var maxSkew: Int64
    public var topologyKey: String
    /// `DoNotSchedule` (a filter) rather than `ScheduleAnyway` (a score).
    public var doNotSchedule: Bool
    public var selector: LabelSelector
    public var minDomains: Int64
    /// `nodeAffinityPolicy: Honor` (default): only nodes matching the Pod's node affinity and
    /// selector count as domains.
    public var honorNodeAffinity: Bool
    /// `nodeTaintsPolicy: Honor`: nodes with taints the Pod does not tolerate do not count
    /// (default `Ignore`).
    public var honorNodeTaints: Bool

    public init(maxSkew: Int64, topologyKey: String, doNotSchedule: Bool, selector: LabelSelector, minDomains: Int64 = 1,
                honorNodeAffinity: Bool = true, honorNodeTaints: Bool = false) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.doNotSchedule = doNotSchedule
        self.selector = selector
        self.minDomains = minDomains
        self.honorNodeAffinity = honorNodeAffinity
        self.honorNodeTaints = honorNodeTaints
    }

    public init(json: JSON, labels: [String: String]) throws(SchedulerError) {
        var selector = try AffinityTerm.selector(json["labelSelector"] ?? .null)
        var extra: [LabelSelector.Requirement] = []
        for key in (json["matchLabelKeys"]?.array ?? []).compactMap(\.string) {
            if let v = labels[key] { extra.append(.init(key: key, op: .in, values: [v])) }
        }
        if !extra.isEmpty { selector = selector.and(LabelSelector(requirements: extra)) }
        self.init(maxSkew: max(json["maxSkew"]?.int ?? 1, 1), topologyKey: json["topologyKey"]?.string ?? "",
                  doNotSchedule: (json["whenUnsatisfiable"]?.string ?? "DoNotSchedule") == "DoNotSchedule",
                  selector: selector, minDomains: max(json["minDomains"]?.int ?? 1, 1),
                  honorNodeAffinity: json["nodeAffinityPolicy"]?.string != "Ignore",
                  honorNodeTaints: json["nodeTaintsPolicy"]?.string == "Honor")
    }
}
