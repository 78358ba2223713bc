import SkiffModel

/// One inter-pod (anti-)affinity term, resolved against the Pod that declares it
/// (`framework.AffinityTerm`): the namespaces it looks in, the selector with `matchLabelKeys`
/// and `mismatchLabelKeys` folded in, and the topology key.
public struct AffinityTerm: Sendable, Hashable {
    /// Namespaces listed by the term, or the declaring Pod's own when it lists none and has no
    /// namespace selector.
    public var namespaces: Set<String>
    /// Nil when the term has none; `.everything` (`{}`) selects every namespace.
    public var namespaceSelector: LabelSelector?
    public var selector: LabelSelector
    public var topologyKey: String

    public init(namespaces: Set<String>, namespaceSelector: LabelSelector? = nil, selector: LabelSelector, topologyKey: String) {
        self.namespaces = namespaces
        self.namespaceSelector = namespaceSelector
        self.selector = selector
        self.topologyKey = topologyKey
    }

    /// Parses a `PodAffinityTerm` of a Pod in `namespace` with `labels`.
    public init(json: JSON, namespace: String, labels: [String: String]) throws(SchedulerError) {
        var selector = try Self.selector(json["labelSelector"] ?? .null)
        var extra: [LabelSelector.Requirement] = []
        for key in (json["matchLabelKeys"]?.array ?? []).compactMap(\.string) {
            if let v = labels[key] { extra.append(.init(key: key, op: .in, values: [v])) }
        }
        for key in (json["mismatchLabelKeys"]?.array ?? []).compactMap(\.string) {
            if let v = labels[key] { extra.append(.init(key: key, op: .notIn, values: [v])) }
        }
        if !extra.isEmpty { selector = selector.and(LabelSelector(requirements: extra)) }
        var namespaces = Set((json["namespaces"]?.array ?? []).compactMap(\.string))
        var nsSelector: LabelSelector?
        if let ns = json["namespaceSelector"], !ns.isNull { nsSelector = try Self.selector(ns) }
        if namespaces.isEmpty && nsSelector == nil { namespaces = [namespace] }
        self.init(namespaces: namespaces, namespaceSelector: nsSelector, selector: selector,
                  topologyKey: json["topologyKey"]?.string ?? "")
    }

    static func selector(_ json: JSON) throws(SchedulerError) -> LabelSelector {
        switch LabelSelector.from(json) {
        case .success(let s): return s
        case .failure(let e): throw SchedulerError(.invalidPod, "invalid label selector: \(e)")
        }
    }

    /// Whether `pod` (whose namespace has `namespaceLabels`) is one this term selects.
    public func matches(_ pod: PodInfo, namespaceLabels: [String: String]) -> Bool {
        guard namespaces.contains(pod.namespace) || (namespaceSelector?.matches(namespaceLabels) ?? false) else { return false }
        return selector.matches(pod.labels)
    }
}

/// A preferred (anti-)affinity term and its weight (1-100).
public struct WeightedAffinityTerm: Sendable, Hashable {
    public var weight: Int64
    public var term: AffinityTerm

    public init(weight: Int64, term: AffinityTerm) {
        self.weight = weight
        self.term = term
    }
}
