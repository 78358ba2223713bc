import SkiffModel

/// The orders the Deployment controller sorts ReplicaSets in (controller.ReplicaSetsBy...).
enum ReplicaSetOrder {
    /// Oldest first; same creation second by name.
    static func byCreation(_ rss: [JSON]) -> [JSON] {
        rss.sorted(by: olderFirst)
    }

    static func olderFirst(_ a: JSON, _ b: JSON) -> Bool {
        let ta = a.creationSeconds, tb = b.creationSeconds
        return ta == tb ? a.objectName < b.objectName : ta < tb
    }

    /// Largest first; equal sizes newest first (the order of a proportional scale-up).
    static func bySizeNewer(_ rss: [JSON]) -> [JSON] {
        rss.sorted { a, b in a.specReplicas == b.specReplicas ? olderFirst(b, a) : a.specReplicas > b.specReplicas }
    }

    /// Largest first; equal sizes oldest first (the order of a proportional scale-down).
    static func bySizeOlder(_ rss: [JSON]) -> [JSON] {
        rss.sorted { a, b in a.specReplicas == b.specReplicas ? olderFirst(a, b) : a.specReplicas > b.specReplicas }
    }

    /// Lowest revision first; equal revisions oldest first.
    static func byRevision(_ rss: [JSON]) -> [JSON] {
        rss.sorted { a, b in
            let ra = DeploymentAnnotations.revision(of: a), rb = DeploymentAnnotations.revision(of: b)
            return ra == rb ? olderFirst(a, b) : ra < rb
        }
    }
}
