import SkiffModel

/// One served resource: its names, scope, subresources and strategy. Adding a kind is one
/// `ResourceType` value in `BuiltinKinds` plus its strategy.
public struct ResourceType: Sendable {
    public var group: String
    /// The version objects are stored in and served at by default.
    public var version: String
    public var kind: String
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var namespaced: Bool
    public var categories: [String]
    /// Subresources served besides the object itself (`status`, `scale`, `binding`, ...).
    public var subresources: [String]
    public var verbs: [String]
    public var strategy: any Strategy
    /// Further versions served by converting to and from `version`.
    public var otherVersions: [VersionConversion]
    /// For a kind stored as another group's kind (events.k8s.io Events are core Events): the
    /// other kind's key prefix and the conversion to and from its form.
    public var sharedStorage: (keyPrefix: String, conversion: VersionConversion)?

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public init(group: String, version: String, kind: String, plural: String, singular: String? = nil,
                shortNames: [String] = [], namespaced: Bool = true, categories: [String] = [],
                subresources: [String] = [], verbs: [String] = ResourceType.allVerbs,
                strategy: any Strategy = PlainStrategy(), otherVersions: [VersionConversion] = [],
                sharedStorage: (keyPrefix: String, conversion: VersionConversion)? = nil) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.shortNames = shortNames
        self.namespaced = namespaced
        self.categories = categories
        self.subresources = subresources
        self.verbs = verbs
        self.strategy = strategy
        self.otherVersions = otherVersions
        self.sharedStorage = sharedStorage
    }

    public var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var versions: [String] { [version] + otherVersions.map(\.version) }

    /// The storage key prefix of this resource: `/registry/<group or core>/<plural>/`.
    public var keyPrefix: String { sharedStorage?.keyPrefix ?? "/registry/\(group.isEmpty ? "core" : group)/\(plural)/" }

    /// The storage key of one object, or the prefix of a namespace's objects when `name` is nil.
    public func key(namespace: String?, name: String?) -> String {
        var k = keyPrefix
        if namespaced, let ns = namespace, !ns.isEmpty { k += ns + "/" }
        if let n = name { k += n }
        return k
    }

    public func conversion(for version: String) -> VersionConversion? {
        otherVersions.first { $0.version == version }
    }
}

/// A served version other than the storage version, with its conversions.
public struct VersionConversion: Sendable {
    public var version: String
    /// The deprecation warning sent with every request at this version, if any.
    public var warning: String?
    /// From this version's JSON to the storage version's (before defaulting).
    public var toStorage: @Sendable (JSON) -> JSON
    /// From the storage version's JSON to this version's.
    public var fromStorage: @Sendable (JSON) -> JSON

    public init(version: String, warning: String? = nil, toStorage: @escaping @Sendable (JSON) -> JSON, fromStorage: @escaping @Sendable (JSON) -> JSON) {
        self.version = version
        self.warning = warning
        self.toStorage = toStorage
        self.fromStorage = fromStorage
    }
}
