import SkiffModel

/// How one kind behaves in the generic store: defaulting, validation, what create and update may
/// change, which fields field selectors see, and how `kubectl get` prints it.
///
/// Every method has a default, so a kind states only what differs (kube-apiserver's
/// `RESTCreateStrategy`/`RESTUpdateStrategy` plus its table convertor).
public protocol Strategy: Sendable {
    /// Fills in defaults, as Kubernetes' defaulting functions (after decoding, before validation).
    func applyDefaults(_ object: inout JSON)
    /// Resets what a client may not set on create (e.g. `status` where it is a subresource).
    func prepareForCreate(_ object: inout JSON)
    /// Carries over from `old` what a main-resource update may not change (e.g. `status`).
    func prepareForUpdate(_ object: inout JSON, old: JSON)
    /// Messages for an invalid `metadata.name` (default: a DNS-1123 subdomain).
    func validateName(_ name: String) -> [String]
    /// Kind-specific validation of a new object (ObjectMeta is validated by the store).
    func validate(_ object: JSON) -> [FieldError]
    /// Kind-specific validation of an update (immutable fields and the like).
    func validateUpdate(_ object: JSON, old: JSON) -> [FieldError]
    /// Field values for field selectors beyond `metadata.name` and `metadata.namespace`.
    func selectableFields(_ object: JSON) -> [String: String]
    /// The columns `kubectl get` shows.
    var columns: [TableColumn] { get }
    /// One row's cells, in `columns` order.
    func cells(_ object: JSON) -> [JSON]
    /// The grace period a delete gets: 0 deletes at once; more marks the object and leaves the
    /// final removal to its owner (the node agent, for Pods).
    func gracePeriod(for object: JSON, requested: Int64?) -> Int64
    /// Takes what a new object needs from shared ranges (a Service's cluster IP and node ports),
    /// before it is stored; `release` gives it back when the object is deleted or not stored.
    func allocate(_ object: inout JSON, _ allocators: Allocators) async throws(APIError)
    func release(_ object: JSON, _ allocators: Allocators) async
    /// Whether a marked object still waits for something besides `metadata.finalizers` before it is
    /// removed (a Namespace's `spec.finalizers`); while it does, delete and update only mark it.
    func awaitsFinalization(_ object: JSON) -> Bool
    /// What else changes when an object is marked for deletion (a Namespace becomes Terminating).
    func prepareForDeletion(_ object: inout JSON)
    /// Whether DELETE answers with the object (true) or a `Status` (false).
    var returnsDeletedObject: Bool { get }
    /// Whether PUT may create a missing object.
    var allowsCreateOnUpdate: Bool { get }
    /// Whether the whole `spec` is bumped into `metadata.generation` on change.
    var tracksGeneration: Bool { get }
}

/// A `kubectl get` column (metav1.TableColumnDefinition).
public struct TableColumn: Sendable {
    public var name: String
    public var type: String
    public var format: String
    public var priority: Int
    public var description: String

    public init(_ name: String, _ type: String = "string", format: String = "", priority: Int = 0, description: String = "") {
        self.name = name
        self.type = type
        self.format = format
        self.priority = priority
        self.description = description
    }

    public static let name = TableColumn("Name", format: "name", description: "Name must be unique within a namespace.")
    public static let age = TableColumn("Age", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")
}

extension Strategy {
    public func applyDefaults(_ object: inout JSON) {}
    public func prepareForCreate(_ object: inout JSON) {}
    public func prepareForUpdate(_ object: inout JSON, old: JSON) {}
    public func validateName(_ name: String) -> [String] { NameValidation.dns1123Subdomain(name) }
    public func validate(_ object: JSON) -> [FieldError] { [] }
    public func validateUpdate(_ object: JSON, old: JSON) -> [FieldError] { [] }
    public func selectableFields(_ object: JSON) -> [String: String] { [:] }
    public var columns: [TableColumn] { [.name, .age] }
    public func cells(_ object: JSON) -> [JSON] { [object["metadata", "name"] ?? "", .string(Timestamp.age(of: object))] }
    public func gracePeriod(for object: JSON, requested: Int64?) -> Int64 { 0 }
    public func allocate(_ object: inout JSON, _ allocators: Allocators) async throws(APIError) {}
    public func release(_ object: JSON, _ allocators: Allocators) async {}
    public func awaitsFinalization(_ object: JSON) -> Bool { false }
    public func prepareForDeletion(_ object: inout JSON) {}
    public var returnsDeletedObject: Bool { false }
    public var allowsCreateOnUpdate: Bool { false }
    public var tracksGeneration: Bool { false }
}

/// A kind with no rules beyond ObjectMeta's.
public struct PlainStrategy: Strategy {
    public init() {}
}

/// Helpers for kinds whose `status` is a subresource: create clears it, main-resource updates keep the old one.
public protocol StatusSubresourceStrategy: Strategy {}

extension StatusSubresourceStrategy {
    public func prepareForCreate(_ object: inout JSON) { object["status"] = nil }
    public func prepareForUpdate(_ object: inout JSON, old: JSON) { object["status"] = old["status"] }
    public var tracksGeneration: Bool { true }
}
