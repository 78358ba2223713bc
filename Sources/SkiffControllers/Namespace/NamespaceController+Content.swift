import SkiffClient
import SkiffModel

/// What one pass of deleting a namespace's content found.
struct ContentDeletion: Sendable, Equatable {
    /// Discovery could not be read completely (some resources may have been missed).
    var discoveryFailure: String?
    /// Resources whose objects could not be listed or deleted.
    var errors: [String] = []
    /// Objects still present, by resource as Kubernetes prints it (`configmaps.`, `deployments.apps`).
    var remaining: [String: Int] = [:]
    /// Finalizers still held by the remaining objects, with how many objects hold each.
    var finalizers: [String: Int] = [:]

    /// The namespace conditions this outcome means, in Kubernetes' order.
    var conditions: [JSON] {
        func condition(_ type: String, _ failed: Bool, _ reason: String, _ message: String) -> JSON {
            ["type": .string(type), "status": failed ? "True" : "False", "reason": .string(reason), "message": .string(message)]
        }
        let remainingText = remaining.keys.sorted().map { "\($0) has \(remaining[$0]!) resource instances" }.joined(separator: ", ")
        let finalizerText = finalizers.keys.sorted().map { "\($0) in \(finalizers[$0]!) resource instances" }.joined(separator: ", ")
        return [
            discoveryFailure.map { condition("NamespaceDeletionDiscoveryFailure", true, "DiscoveryFailed", $0) }
                ?? condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
            condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
            errors.isEmpty
                ? condition("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
                : condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                            "Failed to delete all resource types, \(errors.count) remaining: \(errors.joined(separator: ", "))"),
            remaining.isEmpty
                ? condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed")
                : condition("NamespaceContentRemaining", true, "SomeResourcesRemain", "Some resources are remaining: \(remainingText)"),
            finalizers.isEmpty
                ? condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished")
                : condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                            "Some content in the namespace has finalizers remaining: \(finalizerText)"),
        ]
    }
}

extension NamespaceController {
    /// Deletes every object of every namespaced resource in `namespace` and lists what is left.
    func deleteContent(namespace: String) async -> ContentDeletion {
        var result = ContentDeletion()
        let discovery: APIDiscovery
        do {
            discovery = try await APIDiscovery.read(client)
        } catch {
            result.discoveryFailure = "\(error)"
            return result
        }
        if !discovery.failures.isEmpty {
            result.discoveryFailure = "unable to retrieve the complete list of server APIs: "
                + discovery.failures.keys.sorted().map { "\($0): \(discovery.failures[$0]!)" }.joined(separator: ", ")
        }
        for entry in discovery.entries where entry.resource.namespaced && entry.supports("list")
            && (entry.supports("deletecollection") || entry.supports("delete")) {
            do {
                try await deleteAll(entry, namespace: namespace, into: &result)
            } catch {
                result.errors.append("\(entry.resource): \(error)")
            }
        }
        return result
    }

    /// Deletes the objects of one resource (deletecollection when served, else one by one) and
    /// records what remains.
    func deleteAll(_ entry: APIDiscovery.Entry, namespace: String, into result: inout ContentDeletion) async throws {
        let resource = entry.resource
        let background = Client.DeleteOptions(propagationPolicy: .background)
        var deleted = false
        if entry.supports("deletecollection") {
            do {
                try await client.deleteCollection(resource, namespace: namespace, options: background)
                deleted = true
            } catch let e as APIError where e.code == 405 || e.isNotFound {
                deleted = false
            }
        }
        var items = try await client.list(resource, namespace: namespace).items
        if !deleted && !items.isEmpty && entry.supports("delete") {
            for item in items where item["metadata", "deletionTimestamp"] == nil {
                guard let name = item["metadata", "name"]?.string else { continue }
                do {
                    try await client.delete(resource, namespace: namespace, name: name, options: background)
                } catch let e as APIError where e.isNotFound {
                    continue
                }
            }
            items = try await client.list(resource, namespace: namespace).items
        }
        guard !items.isEmpty else { return }
        // Kubernetes names the core group's resources `pods.`: resource, dot, group.
        result.remaining["\(resource.plural).\(resource.group)", default: 0] += items.count
        var unexplained = 0
        for item in items {
            let finalizers = (item["metadata", "finalizers"]?.array ?? []).compactMap(\.string)
            for f in finalizers { result.finalizers[f, default: 0] += 1 }
            if finalizers.isEmpty && item["metadata", "deletionTimestamp"] == nil { unexplained += 1 }
        }
        if unexplained > 0 {
            result.errors.append("unexpected items still remain in namespace: \(namespace) for gvr: \(resource.apiVersion), Resource=\(resource.plural)")
        }
    }
}

/// Namespace conditions kept across passes: `lastTransitionTime` changes only when a condition's
/// status does.
enum NamespaceConditions {
    static func merge(_ old: [JSON], _ new: [JSON], now: String) -> [JSON] {
        let previous = Dictionary(old.compactMap { c in c["type"]?.string.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
        let newTypes = Set(new.compactMap { $0["type"]?.string })
        var merged: [JSON] = old.filter { !newTypes.contains($0["type"]?.string ?? "") }
        for var c in new {
            let type = c["type"]?.string ?? ""
            if let p = previous[type], p["status"] == c["status"], let t = p["lastTransitionTime"] {
                c["lastTransitionTime"] = t
            } else {
                c["lastTransitionTime"] = .string(now)
            }
            merged.append(c)
        }
        return merged
    }
}
