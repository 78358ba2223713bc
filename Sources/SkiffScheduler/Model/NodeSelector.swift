import SkiffModel

/// A required node selector (`nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`):
/// terms ORed together, each term's expressions ANDed (`nodeaffinity.NodeSelector`).
public struct NodeSelector: Sendable, Hashable {
    public var terms: [NodeSelectorTerm]

    public init(terms: [NodeSelectorTerm]) { self.terms = terms }

    public init(json: JSON) {
        terms = (json["nodeSelectorTerms"]?.array ?? []).map(NodeSelectorTerm.init(json:))
    }

    /// Whether some term matches the node. No terms match nothing.
    public func matches(labels: [String: String], name: String) -> Bool {
        terms.contains { $0.matches(labels: labels, name: name) }
    }
}

/// One node selector term: `matchExpressions` over the node's labels and `matchFields` over
/// `metadata.name`, with the operators `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
public struct NodeSelectorTerm: Sendable, Hashable {
    public var expressions: [LabelSelector.Requirement]
    public var fields: [LabelSelector.Requirement]
    /// A term with an unknown operator or malformed values matches no node, as in Kubernetes.
    public var isValid: Bool

    public init(expressions: [LabelSelector.Requirement] = [], fields: [LabelSelector.Requirement] = [], isValid: Bool = true) {
        self.expressions = expressions
        self.fields = fields
        self.isValid = isValid
    }

    public init(json: JSON) {
        var valid = true
        func requirements(_ list: JSON?) -> [LabelSelector.Requirement] {
            (list?.array ?? []).compactMap { e in
                guard let r = NodeSelectorTerm.requirement(e) else { valid = false; return nil }
                return r
            }
        }
        expressions = requirements(json["matchExpressions"])
        fields = requirements(json["matchFields"])
        if fields.contains(where: { $0.key != "metadata.name" }) { valid = false }
        isValid = valid
    }

    static func requirement(_ e: JSON) -> LabelSelector.Requirement? {
        let key = e["key"]?.string ?? ""
        let values = (e["values"]?.array ?? []).compactMap(\.string)
        switch e["operator"]?.string ?? "" {
        case "In": return values.isEmpty ? nil : .init(key: key, op: .in, values: values)
        case "NotIn": return values.isEmpty ? nil : .init(key: key, op: .notIn, values: values)
        case "Exists": return .init(key: key, op: .exists)
        case "DoesNotExist": return .init(key: key, op: .doesNotExist)
        case "Gt", "Lt":
            guard values.count == 1, Int64(values[0]) != nil else { return nil }
            return .init(key: key, op: e["operator"]?.string == "Gt" ? .greaterThan : .lessThan, values: values)
        default: return nil
        }
    }

    /// A term with neither expressions nor fields matches nothing.
    public func matches(labels: [String: String], name: String) -> Bool {
        guard isValid, !(expressions.isEmpty && fields.isEmpty) else { return false }
        for r in expressions where !r.matches(labels) { return false }
        if !fields.isEmpty {
            let nameFields = ["metadata.name": name]
            for r in fields where !r.matches(nameFields) { return false }
        }
        return true
    }
}

/// A preferred node affinity term with its weight (1-100).
public struct WeightedNodeSelectorTerm: Sendable, Hashable {
    public var weight: Int64
    public var term: NodeSelectorTerm

    public init(weight: Int64, term: NodeSelectorTerm) {
        self.weight = weight
        self.term = term
    }
}
