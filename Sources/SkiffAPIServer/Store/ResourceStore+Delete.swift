import SkiffModel
import SkiffStorage

/// metav1.DeleteOptions, from the request body and query.
public struct DeleteOptions: Sendable {
    public var gracePeriodSeconds: Int64?
    public var propagationPolicy: String?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var dryRun = false

    public init() {}

    /// Reads the options from a DeleteOptions JSON body (if any) and the query, the query winning.
    public init(body: JSON?, query: [String: String]) throws(APIError) {
        if let b = body {
            gracePeriodSeconds = b["gracePeriodSeconds"]?.int
            propagationPolicy = b["propagationPolicy"]?.string
            if b["orphanDependents"]?.bool == true { propagationPolicy = propagationPolicy ?? "Orphan" }
            preconditionUID = b["preconditions", "uid"]?.string
            preconditionResourceVersion = b["preconditions", "resourceVersion"]?.string
            dryRun = (b["dryRun"]?.array ?? []).contains("All")
        }
        if let g = query["gracePeriodSeconds"] {
            guard let v = Int64(g) else { throw .badRequest("invalid value for gracePeriodSeconds: \(g)") }
            gracePeriodSeconds = v
        }
        if let p = query["propagationPolicy"] { propagationPolicy = p }
        if query["orphanDependents"] == "true" { propagationPolicy = propagationPolicy ?? "Orphan" }
        if query["dryRun"] == "All" { dryRun = true }
        if let p = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(p) {
            throw .invalid(kind: "DeleteOptions", name: "",
                           [.notSupported("propagationPolicy", .string(p), ["Foreground", "Background", "Orphan", "nil"])])
        }
        if let g = gracePeriodSeconds, g < 0 { gracePeriodSeconds = 0 }
    }
}

/// The outcome of a delete: the object is gone, or it is marked for deletion and waits
/// (finalizers, or a graceful Pod termination).
public enum DeleteResult: Sendable {
    case deleted(JSON)
    case pending(JSON)
}

extension ResourceStore {
    /// Deletes one object as kube-apiserver does: preconditions, then either removal or
    /// `deletionTimestamp` with the finalizers the propagation policy asks for.
    public func delete(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws(APIError) -> DeleteResult {
        let key = type.key(namespace: namespace, name: name)
        for _ in 0..<16 {
            let (old, rev) = try await current(type, key: key, name: name)
            try Self.checkPreconditions(type, name: name, old: old, revision: rev, options: options)
            var obj = old
            var finalizers = (obj["metadata", "finalizers"]?.array ?? []).compactMap(\.string)
            switch options.propagationPolicy {
            case "Orphan": if !finalizers.contains("orphan") { finalizers.append("orphan") }
            case "Foreground": if !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
            case "Background": finalizers.removeAll { $0 == "orphan" || $0 == "foregroundDeletion" }
            default: break
            }
            let grace = type.strategy.gracePeriod(for: old, requested: options.gracePeriodSeconds)
            let alreadyDeleting = old["metadata", "deletionTimestamp"] != nil
            if finalizers.isEmpty && grace == 0 && !type.strategy.awaitsFinalization(old) {
                if options.dryRun { return .deleted(old) }
                let outcome: Result<JSON, APIError>
                do {
                    outcome = .success(try await deleteNow(type, key: key, name: name, expected: rev))
                } catch {
                    outcome = .failure(error)
                }
                switch outcome {
                case .success(let obj): return .deleted(obj)
                case .failure(let e) where e.code == 409 && options.preconditionResourceVersion == nil: continue
                case .failure(let e): throw e
                }
            }
            if alreadyDeleting && finalizers == (old["metadata", "finalizers"]?.array ?? []).compactMap(\.string) {
                let currentGrace = old["metadata", "deletionGracePeriodSeconds"]?.int ?? 0
                if grace >= currentGrace { return .pending(old) }
            }
            obj["metadata", "finalizers"] = finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) })
            type.strategy.prepareForDeletion(&obj)
            if !alreadyDeleting || grace < (old["metadata", "deletionGracePeriodSeconds"]?.int ?? 0) {
                obj["metadata", "deletionTimestamp"] = .string(Timestamp.format(Timestamp.now() + Double(grace)))
                obj["metadata", "deletionGracePeriodSeconds"] = .int(grace)
            }
            // Being deleted changes what controllers should do: the first mark bumps a tracked
            // generation, as kube-apiserver's BeforeDelete and markAsDeleting do.
            if !alreadyDeleting, let generation = old["metadata", "generation"]?.int, generation > 0 {
                obj["metadata", "generation"] = .int(generation + 1)
            }
            if options.dryRun { return .pending(obj) }
            let prepared = PreparedWrite(obj)
            do {
                cache.willStore(key: key, prepared)
                let newRev = try await backend.update(key, value: prepared.bytes, expectedRevision: rev)
                return .pending(stored(prepared, key: key, revision: newRev).object)
            } catch StorageError.conflict {
                continue
            } catch {
                throw StorageErrors.map(error, type, name)
            }
        }
        throw .conflict(type.groupResource, name, APIError.optimisticLockMessage)
    }
}

extension ResourceStore {
    /// Delete preconditions as kube-apiserver checks them. Most kinds fail early in
    /// `rest.BeforeDelete`, which names the Kind (`ConfigMap "c"`, `Deployment.apps "web"`);
    /// namespaces and CustomResourceDefinitions check them in their own REST `Delete`, with the
    /// storage layer's wording and the resource's name.
    static func checkPreconditions(_ type: ResourceType, name: String, old: JSON, revision: Int64, options: DeleteOptions) throws(APIError) {
        let uid = old["metadata", "uid"]?.string ?? ""
        let rv = String(revision)
        let ownDelete = [GroupResource(group: "", resource: "namespaces"),
                         GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")].contains(type.groupResource)
        if let want = options.preconditionUID, want != uid {
            if ownDelete {
                throw .conflict(type.groupResource, name, "Precondition failed: UID in precondition: \(want), UID in object meta: \(uid)")
            }
            throw .conflict(GroupResource(group: type.group, resource: type.kind), name,
                            "the UID in the precondition (\(want)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated")
        }
        if let want = options.preconditionResourceVersion, want != rv {
            if ownDelete {
                throw .conflict(type.groupResource, name, "Precondition failed: ResourceVersion in precondition: \(want), ResourceVersion in object meta: \(rv)")
            }
            throw .conflict(GroupResource(group: type.group, resource: type.kind), name,
                            "the ResourceVersion in the precondition (\(want)) does not match the ResourceVersion in record (\(rv)). The object might have been modified")
        }
    }
}
