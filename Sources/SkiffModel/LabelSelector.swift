/// A label selector (apimachinery `labels.Selector`): a list of requirements that must all hold.
///
/// Built by `parse(_:)` from the string form clients send in `?labelSelector=`
/// (`app=web,tier!=db,env in (a,b),!canary`), or by `from(_:)` from a `metav1.LabelSelector`
/// object (`matchLabels`, `matchExpressions`). Requirements are kept sorted by key (stable), as
/// Kubernetes keeps them, so `description` is deterministic.
///
/// Matching is a few dictionary lookups per requirement, meant for list and watch filtering.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// `selection.Operator`; the raw value is Kubernetes' spelling.
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One `key op values` term (`labels.Requirement`).
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public let key: String
        public let op: Operator
        /// One value for `=`, `==`, `!=`, `gt`, `lt`; one or more for `in`/`notin`; none for
        /// `exists`/`!`. Not validated here: `parse` and `from` check them first.
        public let values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        /// Whether `labels` satisfy the requirement. A missing key satisfies only `!=`, `notin`
        /// and `!`; `gt`/`lt` compare the label as a 64-bit integer and fail if it is not one.
        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .equals, .doubleEquals, .in:
                guard let value = labels[key] else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value = labels[key] else { return true }
                return !values.contains(value)
            case .exists:
                return labels[key] != nil
            case .doesNotExist:
                return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let text = labels[key], let have = Int64(text), values.count == 1,
                      let want = Int64(values[0]) else { return false }
                return op == .greaterThan ? have > want : have < want
            }
        }

        /// Kubernetes' string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
        /// `a>1`, `a<1`. Set values are printed sorted.
        public var description: String {
            let joined = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals: return key + "=" + joined
            case .doubleEquals: return key + "==" + joined
            case .notEquals: return key + "!=" + joined
            case .greaterThan: return key + ">" + joined
            case .lessThan: return key + "<" + joined
            case .in: return key + " in (" + joined + ")"
            case .notIn: return key + " notin (" + joined + ")"
            }
        }
    }

    /// The requirements, sorted by key.
    public private(set) var requirements: [Requirement]
    /// True for `nothing`, the selector a null `metav1.LabelSelector` stands for.
    public private(set) var matchesNothing: Bool

    /// A selector of `requirements` (stably sorted by key). No validation: use `parse` or `from`
    /// for input from clients.
    public init(requirements: [Requirement] = []) {
        self.requirements = LabelSelector.sortedByKey(requirements)
        self.matchesNothing = false
    }

    /// `key=value` for every entry (`labels.SelectorFromSet`), as a Service's `spec.selector`
    /// map means; an empty map is `everything`. No validation.
    public init(equalTo labels: [String: String]) {
        self.init(requirements: labels.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) })
    }

    /// Matches every object (`labels.Everything()`; the empty string, `{}`).
    public static let everything = LabelSelector()

    /// Matches no object (`labels.Nothing()`; a null `metav1.LabelSelector`).
    public static let nothing: LabelSelector = {
        var s = LabelSelector()
        s.matchesNothing = true
        return s
    }()

    /// True when the selector does not restrict anything (Kubernetes' `Empty()`).
    public var isEverything: Bool { requirements.isEmpty && !matchesNothing }

    /// Whether an object with `labels` is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        for requirement in requirements where !requirement.matches(labels) { return false }
        return true
    }

    /// A selector with the requirements of both (`Selector.Add`).
    public func and(_ other: LabelSelector) -> LabelSelector {
        var s = LabelSelector(requirements: requirements + other.requirements)
        s.matchesNothing = matchesNothing || other.matchesNothing
        return s
    }

    /// The value `label` must have, if a requirement (`=`, `==`, or `in` with one value) pins it.
    public func requiresExactMatch(_ label: String) -> String? {
        guard let r = requirements.first(where: { $0.key == label }) else { return nil }
        switch r.op {
        case .equals, .doubleEquals, .in: return r.values.count == 1 ? r.values[0] : nil
        default: return nil
        }
    }

    /// The string form, requirements joined by `,`; empty for `everything` and `nothing`
    /// (`kubectl` shows `<none>` then). Parsing it gives an equal selector.
    public var description: String { requirements.map(\.description).joined(separator: ",") }

    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        requirements.enumerated()
            .sorted { a, b in
                a.element.key != b.element.key
                    ? a.element.key.utf8.lexicographicallyPrecedes(b.element.key.utf8) : a.offset < b.offset
            }
            .map(\.element)
    }
}

/// A selector string Kubernetes refuses; `description` is Kubernetes' message (the API server
/// returns it as a `BadRequest` Status).
public struct SelectorParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
