import Synchronization
import SkiffModel
import SkiffStorage

/// The generic store every resource goes through (kube-apiserver's `registry.Store`): create, get,
/// list, update, guaranteed update, delete; the kind's `Strategy` supplies what differs.
///
/// Writes go to the backend; reads come from the watch cache after it has caught up with every
/// write this server acknowledged, so a client always reads its own writes.
public final class ResourceStore: Sendable {
    public let backend: any StorageBackend
    public let cache: WatchCache
    public let registry: Registry
    public let allocators: Allocators
    /// The highest revision this server has acknowledged to a client.
    let acknowledged = Atomic<Int64>(0)
    /// What this server wrote last, for the read of the next read-modify-write.
    let recent = RecentWrites()

    public init(backend: any StorageBackend, cache: WatchCache, registry: Registry, allocators: Allocators? = nil) {
        self.allocators = allocators ?? Allocators(backend: backend)
        self.backend = backend
        self.cache = cache
        self.registry = registry
    }

    /// Waits until the cache holds every acknowledged write.
    public func sync() async {
        await cache.waitUntil(acknowledged.load(ordering: .acquiring))
    }

    func acknowledge(_ revision: Int64) {
        acknowledged.max(revision, ordering: .releasing)
    }

    // MARK: Reads

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws(APIError) -> CachedObject {
        await sync()
        guard let obj = await cache.get(resourcePrefix: type.keyPrefix, key: type.key(namespace: namespace, name: name)) else {
            throw .notFound(type.groupResource, name)
        }
        return obj
    }

    /// The current stored object, read from the backend (for read-modify-write).
    func current(_ type: ResourceType, key: String, name: String) async throws(APIError) -> (JSON, Int64) {
        let kv: KeyValue?
        do { kv = try await backend.get(key) } catch { throw StorageErrors.map(error, type, name) }
        guard let kv else { throw .notFound(type.groupResource, name) }
        if let obj = recent.object(key: key, revision: kv.modRevision) { return (obj, kv.modRevision) }
        guard var obj = try? JSON.parse(kv.value) else { throw .notFound(type.groupResource, name) }
        obj["metadata", "resourceVersion"] = .string(String(kv.modRevision))
        return (obj, kv.modRevision)
    }

    /// A write of `prepared` at `key` was stored at `revision`: notes it and answers with it.
    func stored(_ prepared: PreparedWrite, key: String, revision: Int64) -> Written {
        acknowledge(revision)
        let object = prepared.object(revision: revision)
        recent.note(key: key, revision: revision, object: object)
        return Written(object: object, bytes: prepared.bytes(revision: revision))
    }

    public func namespaceExists(_ name: String) async -> JSON? {
        await sync()
        let nsType = registry.lookup(GroupResource(group: "", resource: "namespaces"))!
        return await cache.get(resourcePrefix: nsType.keyPrefix, key: nsType.key(namespace: nil, name: name))?.object
    }

    // MARK: Writes

    /// Creates an object (already converted to the storage version and carrying its namespace).
    public func create(_ type: ResourceType, _ input: JSON, dryRun: Bool, manager: FieldManager? = nil) async throws(APIError) -> JSON {
        try await createWritten(type, input, dryRun: dryRun, manager: manager).object
    }

    /// `create`, with the created object's encoding.
    public func createWritten(_ type: ResourceType, _ input: JSON, dryRun: Bool, manager: FieldManager? = nil) async throws(APIError) -> Written {
        var obj = input
        if let rv = obj["metadata", "resourceVersion"]?.string, !rv.isEmpty {
            throw .internalError("resourceVersion should not be set on objects to be created")
        }
        if (obj["metadata", "name"]?.string ?? "").isEmpty, let prefix = obj["metadata", "generateName"]?.string, !prefix.isEmpty {
            obj["metadata", "name"] = .string(String(prefix.prefix(58)) + ObjectMeta.randomSuffix())
        }
        let name = obj["metadata", "name"]?.string ?? ""
        type.strategy.applyDefaults(&obj)
        obj["metadata", "uid"] = .string(ObjectMeta.newUID())
        obj["metadata", "creationTimestamp"] = .string(Timestamp.format(Timestamp.now()))
        obj["metadata", "deletionTimestamp"] = nil
        obj["metadata", "deletionGracePeriodSeconds"] = nil
        obj["metadata", "selfLink"] = nil
        if type.strategy.tracksGeneration { obj["metadata", "generation"] = 1 }
        type.strategy.prepareForCreate(&obj)
        let errors = ObjectMeta.validate(obj, type: type) + type.strategy.validate(obj)
        if !errors.isEmpty { throw .invalid(kind: type.kind, group: type.group, name: name, errors) }
        manager?.trackUpdate(&obj, old: nil, type: type)
        if type.namespaced {
            let ns = obj["metadata", "namespace"]?.string ?? ""
            guard let nsObj = await namespaceExists(ns) else {
                throw .notFound(GroupResource(group: "", resource: "namespaces"), ns)
            }
            if nsObj["metadata", "deletionTimestamp"] != nil {
                throw APIError(code: 403, reason: "Forbidden",
                               message: "\(type.groupResource) \"\(name)\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
                               details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.plural,
                                              causes: [.init(reason: "NamespaceTerminating", message: "namespace \(ns) is being terminated", field: "metadata.namespace")]))
            }
        }
        if dryRun { return Written(object: obj) }
        let key = type.key(namespace: obj["metadata", "namespace"]?.string, name: name)
        await sync()  // so an object deleted just now is not taken for an existing one
        if await cache.get(resourcePrefix: type.keyPrefix, key: key) != nil { throw .alreadyExists(type.groupResource, name) }
        try await type.strategy.allocate(&obj, allocators)
        let prepared = PreparedWrite(obj)
        do {
            cache.willStore(key: key, prepared)
            return stored(prepared, key: key, revision: try await backend.create(key, value: prepared.bytes))
        } catch {
            await type.strategy.release(obj, allocators)
            throw StorageErrors.map(error, type, name)
        }
    }

    /// What an update does to the stored object.
    public enum UpdateTarget: Sendable {
        /// The object as a client writes it: the kind's update rules apply.
        case main
        /// Only `status` changes.
        case status
        /// A subresource the server implements (binding): the result is stored as given, with
        /// only ObjectMeta's rules.
        case subresource
    }

    /// Replaces an object with `input` (PUT). A set `resourceVersion` must match the stored one.
    /// Returns the stored result and whether it was created (only where the kind allows create-on-update).
    public func update(_ type: ResourceType, namespace: String?, name: String, _ input: JSON, target: UpdateTarget = .main,
                       dryRun: Bool, manager: FieldManager? = nil) async throws(APIError) -> (JSON, created: Bool) {
        let (written, created) = try await updateWritten(type, namespace: namespace, name: name, input, target: target,
                                                         dryRun: dryRun, manager: manager)
        return (written.object, created)
    }

    /// `update`, with the stored object's encoding.
    public func updateWritten(_ type: ResourceType, namespace: String?, name: String, _ input: JSON, target: UpdateTarget = .main,
                              dryRun: Bool, manager: FieldManager? = nil) async throws(APIError) -> (Written, created: Bool) {
        let key = type.key(namespace: namespace, name: name)
        let kv: KeyValue?
        do { kv = try await backend.get(key) } catch { throw StorageErrors.map(error, type, name) }
        guard kv != nil else {
            if type.strategy.allowsCreateOnUpdate && target == .main {
                var obj = input
                obj["metadata", "resourceVersion"] = nil
                return (try await createWritten(type, obj, dryRun: dryRun, manager: manager), true)
            }
            throw .notFound(type.groupResource, name)
        }
        let result = try await guaranteedUpdateWritten(type, namespace: namespace, name: name, dryRun: dryRun, manager: manager) { old throws(APIError) in
            if let rv = input["metadata", "resourceVersion"]?.string, !rv.isEmpty,
               rv != old["metadata", "resourceVersion"]?.string {
                throw .conflict(type.groupResource, name, APIError.optimisticLockMessage)
            }
            return input
        } target: { target }
        return (result, false)
    }

    /// Read-modify-write with retries on conflict: `mutate` gets the current object (with its
    /// `resourceVersion`) and returns the desired one; the store applies the update rules.
    public func guaranteedUpdate(_ type: ResourceType, namespace: String?, name: String, dryRun: Bool,
                                 manager: FieldManager? = nil,
                                 mutate: (JSON) throws(APIError) -> JSON,
                                 target: () -> UpdateTarget = { .main }) async throws(APIError) -> JSON {
        try await guaranteedUpdateWritten(type, namespace: namespace, name: name, dryRun: dryRun, manager: manager,
                                          mutate: mutate, target: target).object
    }

    /// `guaranteedUpdate`, with the stored object's encoding.
    public func guaranteedUpdateWritten(_ type: ResourceType, namespace: String?, name: String, dryRun: Bool,
                                        manager: FieldManager? = nil,
                                        mutate: (JSON) throws(APIError) -> JSON,
                                        target: () -> UpdateTarget = { .main }) async throws(APIError) -> Written {
        let key = type.key(namespace: namespace, name: name)
        for _ in 0..<16 {
            let (old, oldRev) = try await current(type, key: key, name: name)
            var obj = try mutate(old)
            obj = try prepareUpdate(type, obj, old: old, target: target())
            manager?.trackUpdate(&obj, old: old, type: type)
            if obj == old { return Written(object: old) }  // nothing changed: no write, same resourceVersion
            if dryRun { return Written(object: obj) }
            // As kube-apiserver's shouldDeleteDuringUpdate: not while a graceful deletion is pending
            // (a Pod's kubelet writes status until it deletes the Pod with grace period 0).
            if obj["metadata", "deletionTimestamp"] != nil, (obj["metadata", "finalizers"]?.array ?? []).isEmpty,
               (old["metadata", "deletionGracePeriodSeconds"]?.int ?? 0) == 0,
               !type.strategy.awaitsFinalization(obj) {
                return Written(object: try await deleteNow(type, key: key, name: name, expected: oldRev))
            }
            let prepared = PreparedWrite(obj)
            do {
                cache.willStore(key: key, prepared)
                return stored(prepared, key: key, revision: try await backend.update(key, value: prepared.bytes, expectedRevision: oldRev))
            } catch StorageError.conflict {
                continue
            } catch {
                throw StorageErrors.map(error, type, name)
            }
        }
        throw .conflict(type.groupResource, name, APIError.optimisticLockMessage)
    }

    /// Applies the server's rules to an update: server-owned metadata from `old`, status or spec
    /// kept per target, generation bumped on spec change, validation.
    func prepareUpdate(_ type: ResourceType, _ input: JSON, old: JSON, target: UpdateTarget) throws(APIError) -> JSON {
        let name = old["metadata", "name"]?.string ?? ""
        if let uid = input["metadata", "uid"]?.string, !uid.isEmpty, uid != old["metadata", "uid"]?.string {
            throw .conflict(type.groupResource, name,
                            "Precondition failed: UID in precondition: \(uid), UID in object meta: \(old["metadata", "uid"]?.string ?? "")")
        }
        var obj: JSON
        switch target {
        case .status:
            obj = old
            obj["status"] = input["status"]
        case .subresource:
            obj = input
        case .main:
            obj = input
            type.strategy.applyDefaults(&obj)
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] {
                obj["metadata", field] = old["metadata", field]
            }
            obj["metadata", "selfLink"] = nil
            type.strategy.prepareForUpdate(&obj, old: old)
            if type.strategy.tracksGeneration, obj["spec"] != old["spec"] {
                obj["metadata", "generation"] = .int((old["metadata", "generation"]?.int ?? 0) + 1)
            }
        }
        obj["metadata", "resourceVersion"] = old["metadata", "resourceVersion"]
        if let ts = old["metadata", "deletionTimestamp"], ts != .null {
            let newFinalizers = Set((obj["metadata", "finalizers"]?.array ?? []).compactMap(\.string))
            let oldFinalizers = Set((old["metadata", "finalizers"]?.array ?? []).compactMap(\.string))
            if !newFinalizers.isSubset(of: oldFinalizers) {
                throw .invalid(kind: type.kind, group: type.group, name: name,
                               [.forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, found new finalizers \(newFinalizers.subtracting(oldFinalizers).sorted())")])
            }
        }
        var errors = ObjectMeta.validate(obj, type: type) + ObjectMeta.validateUpdate(obj, old: old)
        if target != .subresource { errors += type.strategy.validate(obj) + type.strategy.validateUpdate(obj, old: old) }
        if !errors.isEmpty { throw .invalid(kind: type.kind, group: type.group, name: name, errors) }
        return obj
    }

    func deleteNow(_ type: ResourceType, key: String, name: String, expected: Int64?) async throws(APIError) -> JSON {
        do {
            let kv = try await backend.delete(key, expectedRevision: expected)
            acknowledge(kv.modRevision)
            var obj = (try? JSON.parse(kv.value)) ?? [:]
            await type.strategy.release(obj, allocators)
            obj["metadata", "resourceVersion"] = .string(String(kv.modRevision))
            return obj
        } catch StorageError.conflict {
            throw .conflict(type.groupResource, name, APIError.optimisticLockMessage)
        } catch {
            throw StorageErrors.map(error, type, name)
        }
    }
}

/// Storage errors as API errors.
enum StorageErrors {
    static func map(_ error: any Error, _ type: ResourceType, _ name: String) -> APIError {
        switch error {
        case let e as APIError: return e
        case StorageError.keyExists: return .alreadyExists(type.groupResource, name)
        case StorageError.keyNotFound: return .notFound(type.groupResource, name)
        case StorageError.conflict: return .conflict(type.groupResource, name, APIError.optimisticLockMessage)
        case StorageError.compacted(let requested, let oldest):
            return .gone("The resourceVersion for the provided list is too old. (requested \(requested), oldest \(oldest))")
        default: return .internalError("\(error)")
        }
    }
}
