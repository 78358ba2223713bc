import Logging
import SkiffModel

/// Serves the resources that CustomResourceDefinitions define: follows the definitions in the
/// watch cache, adds or removes their resources in the registry, and marks each definition
/// `NamesAccepted` and `Established`.
public struct CRDRegistrar: Sendable {
    let store: ResourceStore
    let onChange: @Sendable () -> Void
    let logger: Logger

    public init(store: ResourceStore, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.store = store
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        guard let crdType = store.registry.lookup(GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")) else { return }
        let (initial, events, _) = try await store.cache.watch(resourcePrefix: crdType.keyPrefix, keyPrefix: crdType.keyPrefix, after: nil)
        for obj in initial { await apply(obj.object, crdType) }
        for await event in events {
            if event.kind == .deleted {
                if let t = CustomResourceDefinitionStrategy.resourceType(event.object.object) {
                    store.registry.remove(t.groupResource)
                    onChange()
                }
            } else {
                await apply(event.object.object, crdType)
            }
        }
    }

    func apply(_ crd: JSON, _ crdType: ResourceType) async {
        guard let type = CustomResourceDefinitionStrategy.resourceType(crd) else { return }
        if crd["metadata", "deletionTimestamp"] != nil {
            await cleanUp(crd, type, crdType)
            return
        }
        store.registry.add(type)
        onChange()
        guard !isEstablished(crd), let name = crd["metadata", "name"]?.string else { return }
        do {
            _ = try await store.guaranteedUpdate(crdType, namespace: nil, name: name, dryRun: false) { current throws(APIError) in
                var updated = current
                let now = JSON.string(Timestamp.format(Timestamp.now()))
                updated["status"] = [
                    "acceptedNames": current["spec", "names"] ?? [:],
                    "storedVersions": .array([.string(type.version)]),
                    "conditions": [
                        ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now],
                        ["type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now],
                    ],
                ]
                return updated
            } target: { .status }
        } catch {
            logger.warning("could not mark definition established", metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }

    /// Deletes every object of a definition being deleted, then lets the definition go.
    func cleanUp(_ crd: JSON, _ type: ResourceType, _ crdType: ResourceType) async {
        let finalizer = CustomResourceDefinitionStrategy.cleanupFinalizer
        guard let name = crd["metadata", "name"]?.string,
              (crd["metadata", "finalizers"]?.array ?? []).contains(.string(finalizer)) else { return }
        await store.sync()
        let objects = await store.cache.list(resourcePrefix: type.keyPrefix, keyPrefix: type.keyPrefix).items
        for obj in objects {
            _ = try? await store.delete(type, namespace: obj.namespace.isEmpty ? nil : obj.namespace, name: obj.name, options: DeleteOptions())
        }
        do {
            _ = try await store.guaranteedUpdate(crdType, namespace: nil, name: name, dryRun: false) { current throws(APIError) in
                var updated = current
                let rest = (current["metadata", "finalizers"]?.array ?? []).filter { $0 != .string(finalizer) }
                updated["metadata", "finalizers"] = rest.isEmpty ? nil : .array(rest)
                return updated
            }
        } catch {
            logger.warning("could not finish deleting definition", metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }

    func isEstablished(_ crd: JSON) -> Bool {
        (crd["status", "conditions"]?.array ?? []).contains { $0["type"] == "Established" && $0["status"] == "True" }
    }
}
