/// A Kubernetes group, version and kind: `apps/v1, Kind=Deployment`. The core group is `""`.
public struct GroupVersionKind: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// From an object's `apiVersion` (`v1`, `apps/v1`) and `kind`.
    public init(apiVersion: String, kind: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            group = String(apiVersion[..<slash])
            version = String(apiVersion[apiVersion.index(after: slash)...])
        } else {
            group = ""
            version = apiVersion
        }
        self.kind = kind
    }

    /// The group/version/kind an object declares in `apiVersion` and `kind`; nil if either is missing.
    public init?(object: JSON) {
        guard let apiVersion = object["apiVersion"]?.string, let kind = object["kind"]?.string else { return nil }
        self.init(apiVersion: apiVersion, kind: kind)
    }

    /// The `apiVersion` string: `v1` for the core group, else `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// As Go prints a `schema.GroupVersionKind`: `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`.
    public var description: String { "\(group)/\(version), Kind=\(kind)" }

    public static func < (a: GroupVersionKind, b: GroupVersionKind) -> Bool {
        (a.group, a.version, a.kind) < (b.group, b.version, b.kind)
    }

    /// The `x-kubernetes-group-version-kind` form: `{"group": ..., "kind": ..., "version": ...}`.
    public var json: JSON { ["group": .string(group), "kind": .string(kind), "version": .string(version)] }

    /// Reads the `x-kubernetes-group-version-kind` form.
    public init?(json: JSON) {
        guard let version = json["version"]?.string, let kind = json["kind"]?.string else { return nil }
        self.init(group: json["group"]?.string ?? "", version: version, kind: kind)
    }
}
