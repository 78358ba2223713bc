import SkiffModel

/// A node taint (`spec.taints[]`).
public struct Taint: Sendable, Hashable {
    public enum Effect: String, Sendable, Hashable {
        case noSchedule = "NoSchedule"
        case preferNoSchedule = "PreferNoSchedule"
        case noExecute = "NoExecute"
    }

    public var key: String
    public var value: String
    public var effect: Effect?

    public init(key: String, value: String = "", effect: Effect?) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    public init(json: JSON) {
        self.init(key: json["key"]?.string ?? "", value: json["value"]?.string ?? "",
                  effect: json["effect"]?.string.flatMap(Effect.init(rawValue:)))
    }

    /// `{key: value}`, as the TaintToleration plugin prints an untolerated taint.
    public var braced: String { "{\(key): \(value)}" }
}

/// A Pod toleration (`spec.tolerations[]`), matched as `v1.Toleration.ToleratesTaint`.
public struct Toleration: Sendable, Hashable {
    public var key: String
    /// `Exists` or `Equal` (the default).
    public var exists: Bool
    public var value: String
    /// Nil tolerates every effect.
    public var effect: Taint.Effect?

    public init(key: String = "", exists: Bool = false, value: String = "", effect: Taint.Effect? = nil) {
        self.key = key
        self.exists = exists
        self.value = value
        self.effect = effect
    }

    public init(json: JSON) {
        self.init(key: json["key"]?.string ?? "", exists: json["operator"]?.string == "Exists",
                  value: json["value"]?.string ?? "",
                  effect: json["effect"]?.string.flatMap { $0.isEmpty ? nil : Taint.Effect(rawValue: $0) })
    }

    /// Whether this toleration tolerates `taint`: the effect is empty or equal, the key is empty
    /// (with `Exists`, matching every key) or equal, and with `Equal` the values are equal.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, effect != taint.effect { return false }
        if !key.isEmpty && key != taint.key { return false }
        if exists { return true }
        if key.isEmpty { return false }
        return value == taint.value
    }
}

extension Array where Element == Toleration {
    /// Whether any toleration tolerates `taint`.
    public func tolerate(_ taint: Taint) -> Bool { contains { $0.tolerates(taint) } }
}
