/// One stored key at one revision.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The revision that created this key (stable across updates).
    public var createRevision: Int64
    /// The revision of the last write to this key; Skiff's `resourceVersion`.
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// A change to one key, as delivered by `watch`.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case put, delete }
    public var kind: Kind
    /// The key after the change. For `.delete`, the value is the last value before deletion and
    /// `modRevision` is the revision of the delete.
    public var kv: KeyValue
    /// The value before the change (nil for a create).
    public var previous: KeyValue?
    public var revision: Int64 { kv.modRevision }

    public init(kind: Kind, kv: KeyValue, previous: KeyValue?) {
        self.kind = kind
        self.kv = kv
        self.previous = previous
    }
}

/// A page of `list`.
public struct ListResult: Sendable, Equatable {
    public var items: [KeyValue]
    /// The store revision the page was read at.
    public var revision: Int64
    /// True when more keys under the prefix follow the last item.
    public var more: Bool

    public init(items: [KeyValue], revision: Int64, more: Bool) {
        self.items = items
        self.revision = revision
        self.more = more
    }
}

/// Errors every backend reports the same way.
public enum StorageError: Error, Sendable, Equatable {
    case keyExists(String)
    case keyNotFound(String)
    /// The key's current revision is not the one the caller expected; carries the current value.
    case conflict(current: KeyValue)
    /// The requested revision was compacted away; carries the oldest revision still available.
    case compacted(requested: Int64, oldest: Int64)
    /// The requested revision is newer than the store's.
    case futureRevision(requested: Int64, current: Int64)
    case backend(String)
}

/// A revisioned key-value store over bytes, as kine and etcd provide.
///
/// Contract shared by every backend (one conformance suite checks it):
/// - Every write gets the next global revision (strictly increasing, starting at 1); a key's
///   `modRevision` is the revision of its last write.
/// - Writes are atomic and durable once they return (for durable backends).
/// - `watch(prefix:after:)` delivers, in revision order and without gaps, every change under
///   the prefix with a revision greater than `after`, then every later change, until the
///   consumer stops iterating. Asking for history older than the compacted revision fails
///   with `StorageError.compacted`.
public protocol StorageBackend: Sendable {
    /// The current value of `key`, or nil.
    func get(_ key: String) async throws -> KeyValue?

    /// Keys under `prefix` in ascending key order, starting after `startAfter` (exclusive),
    /// at most `limit` items (0 = no limit). With `revision`, the state as of that revision
    /// (fails with `.compacted` if history is gone).
    func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?) async throws -> ListResult

    /// How many keys exist under `prefix` now.
    func count(prefix: String) async throws -> Int

    /// Creates `key`; fails with `.keyExists` if it exists. Returns the new revision.
    func create(_ key: String, value: [UInt8]) async throws -> Int64

    /// Replaces `key` if its modRevision equals `expectedRevision`; `.conflict` otherwise,
    /// `.keyNotFound` if absent. Returns the new revision.
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws -> Int64

    /// Deletes `key` (if `expectedRevision` is given, only at that revision). Returns the
    /// deleted value with `modRevision` set to the delete's revision.
    func delete(_ key: String, expectedRevision: Int64?) async throws -> KeyValue

    /// The latest revision (0 for an empty store).
    func currentRevision() async throws -> Int64

    /// The oldest revision still available to `list(revision:)` and `watch`.
    func compactedRevision() async throws -> Int64

    /// Drops history at or before `revision` that is not the current value of a key.
    func compact(revision: Int64) async throws

    /// Changes under `prefix` after revision `after`, in batches in revision order.
    func watch(prefix: String, after: Int64) -> AsyncThrowingStream<[WatchEvent], any Error>

    /// Releases the backend (stops watches, closes files).
    func close() async
}
