import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct GarbageCollectorTests {
    typealias Plan = (finalizers: [String], owners: [(String, GarbageCollector.OwnerState)], hasDependents: Bool, action: GarbageCollector.Action)

    static let plans: [Plan] = [
        ([], [("a", .solid)], false, .none),
        ([], [("a", .solid), ("b", .dangling)], false, .removeOwnerReferences(["b"])),
        ([], [("a", .solid), ("b", .waitingForDependentsDeletion)], true, .removeOwnerReferences(["b"])),
        ([], [("a", .dangling)], false, .delete(.background)),
        ([], [("a", .dangling), ("b", .dangling)], true, .delete(.background)),
        (["orphan"], [("a", .dangling)], false, .delete(.orphan)),
        (["foregroundDeletion"], [("a", .dangling)], false, .delete(.foreground)),
        ([], [("a", .waitingForDependentsDeletion)], false, .delete(.background)),
        ([], [("a", .waitingForDependentsDeletion)], true, .delete(.foreground)),
        ([], [], false, .none),
    ]

    @Test(arguments: plans.indices) func plan(_ index: Int) {
        let p = Self.plans[index]
        let owners = p.owners.map { (uid: $0.0, state: $0.1) }
        #expect(GarbageCollector.plan(finalizers: p.finalizers, owners: owners, hasDependents: p.hasDependents) == p.action)
    }

    static func collector(_ client: Client, _ informers: SharedInformers) -> [any HousekeepingTestController] {
        [GarbageCollector(client: client, informers: informers, logger: HousekeepingCluster.logger)]
    }

    /// An owner ConfigMap and `count` dependents referring to it.
    static func family(_ client: Client, _ prefix: String, count: Int = 2, block: Bool = false) async throws -> JSON {
        let owner = try await client.create(.configMaps, HK.configMap("\(prefix)-owner"))
        for i in 0..<count {
            _ = try await client.create(.configMaps, HK.configMap("\(prefix)-dep-\(i)", owners: [HK.ownerReference(to: owner, block: block)]))
        }
        return owner
    }

    @Test func backgroundDeletionRemovesDependentsAfterTheOwner() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            _ = try await Self.family(client, "bg")
            try await cluster.running({ Self.collector($0, $1) }) {
                try await client.delete(.configMaps, namespace: "default", name: "bg-owner", options: .init(propagationPolicy: .background))
                try await cluster.waitGone(.configMaps, namespace: "default", name: "bg-dep-0")
                try await cluster.waitGone(.configMaps, namespace: "default", name: "bg-dep-1")
            }
        }
    }

    @Test func dependentsOfOwnersThatNeverExistedAreCollected() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            let ghost: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000001"]
            _ = try await client.create(.configMaps, HK.configMap("haunted", owners: [ghost]))
            // An owner of the same name but another UID does not keep it either.
            _ = try await client.create(.configMaps, HK.configMap("ghost"))
            let survivorOwner = try await client.create(.configMaps, HK.configMap("real"))
            _ = try await client.create(.configMaps, HK.configMap("two-owners", owners: [ghost, HK.ownerReference(to: survivorOwner)]))
            try await cluster.running({ Self.collector($0, $1) }) {
                try await cluster.waitGone(.configMaps, namespace: "default", name: "haunted")
                try await cluster.waitFor(.configMaps, namespace: "default", name: "two-owners", "drops the dangling reference") {
                    $0?["metadata", "ownerReferences"] == [HK.ownerReference(to: survivorOwner)]
                }
            }
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            _ = try await Self.family(client, "or")
            try await cluster.running({ Self.collector($0, $1) }) {
                try await client.delete(.configMaps, namespace: "default", name: "or-owner", options: .init(propagationPolicy: .orphan))
                try await cluster.waitGone(.configMaps, namespace: "default", name: "or-owner")
                for i in 0..<2 {
                    let dep = try await client.get(.configMaps, namespace: "default", name: "or-dep-\(i)")
                    #expect(dep["metadata", "ownerReferences"] == nil)
                }
            }
        }
    }

    @Test func foregroundDeletionRemovesDependentsBeforeTheOwner() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            _ = try await Self.family(client, "fg", count: 3, block: true)
            let start = try await client.list(.configMaps, namespace: "default").resourceVersion
            try await cluster.running({ Self.collector($0, $1) }) {
                let marked = try await client.delete(.configMaps, namespace: "default", name: "fg-owner", options: .init(propagationPolicy: .foreground))
                #expect(marked["metadata", "finalizers"] == ["foregroundDeletion"])
                try await cluster.waitGone(.configMaps, namespace: "default", name: "fg-owner")
            }
            // The order of deletions, as a watch from before them reports it.
            var deleted: [String] = []
            for try await event in try await client.watch(.configMaps, namespace: "default", options: .init(resourceVersion: start)) {
                guard event.type == .deleted, let name = event.object["metadata", "name"]?.string else { continue }
                deleted.append(name)
                if name == "fg-owner" { break }
            }
            #expect(Set(deleted.dropLast()) == ["fg-dep-0", "fg-dep-1", "fg-dep-2"])
            #expect(deleted.last == "fg-owner")
        }
    }

    @Test func foregroundDeletionGoesDownTheChain() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            let top = try await client.create(.configMaps, HK.configMap("top"))
            let middle = try await client.create(.configMaps, HK.configMap("middle", owners: [HK.ownerReference(to: top, block: true)]))
            _ = try await client.create(.configMaps, HK.configMap("bottom", owners: [HK.ownerReference(to: middle, block: true)]))
            try await cluster.running({ Self.collector($0, $1) }) {
                try await client.delete(.configMaps, namespace: "default", name: "top", options: .init(propagationPolicy: .foreground))
                try await cluster.waitGone(.configMaps, namespace: "default", name: "top")
                #expect(try await cluster.exists(.configMaps, namespace: "default", name: "middle") == nil)
                #expect(try await cluster.exists(.configMaps, namespace: "default", name: "bottom") == nil)
            }
        }
    }

    @Test func dependentsOfOtherKindsAreCollected() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            let owner = try await client.create(.configMaps, HK.configMap("secret-owner"))
            _ = try await client.create(.secrets, ["apiVersion": "v1", "kind": "Secret",
                                                   "metadata": ["name": "owned", "namespace": "default", "ownerReferences": [HK.ownerReference(to: owner)]]])
            try await cluster.running({ Self.collector($0, $1) }) {
                try await client.delete(.configMaps, namespace: "default", name: "secret-owner")
                try await cluster.waitGone(.secrets, namespace: "default", name: "owned")
            }
        }
    }
}
