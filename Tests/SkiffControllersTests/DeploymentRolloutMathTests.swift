import SkiffModel
import Testing
@testable import SkiffControllers

@Suite struct DeploymentRolloutMathTests {
    static let scaled: [(JSON, Int, Bool, Int)] = [
        ("25%", 5, true, 2), ("25%", 5, false, 1), ("25%", 4, true, 1), ("25%", 4, false, 1),
        ("50%", 3, true, 2), ("50%", 3, false, 1), ("0%", 10, true, 0), ("100%", 7, false, 7),
        (1, 5, true, 1), (0, 5, false, 0), (3, 2, false, 3),
    ]

    @Test(arguments: scaled.indices) func percentagesRoundUpForSurgeAndDownForUnavailability(_ i: Int) {
        let (value, total, up, expected) = Self.scaled[i]
        #expect(RolloutMath.scaledValue(value, total: total, roundUp: up) == expected)
    }

    static func deployment(replicas: Int, surge: JSON, unavailable: JSON) -> JSON {
        ["metadata": ["name": "d"], "spec": ["replicas": .int(Int64(replicas)),
                                             "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": surge, "maxUnavailable": unavailable]]]]
    }

    static func rs(_ name: String, replicas: Int, available: Int = 0, maxReplicas: Int? = nil) -> JSON {
        var r: JSON = ["metadata": ["name": .string(name)], "spec": ["replicas": .int(Int64(replicas))],
                       "status": ["availableReplicas": .int(Int64(available))]]
        if let maxReplicas { r["metadata", "annotations", DeploymentAnnotations.maxReplicas] = .string(String(maxReplicas)) }
        return r
    }

    @Test func fencepostsNeverLeaveARolloutStuck() {
        let d = Self.deployment(replicas: 3, surge: 0, unavailable: 0)
        #expect(RolloutMath.fenceposts(d) == (0, 1))
        #expect(RolloutMath.maxUnavailable(Self.deployment(replicas: 2, surge: 0, unavailable: 5)) == 2)
        #expect(RolloutMath.maxSurge(["spec": ["replicas": 4, "strategy": ["type": "Recreate"]]]) == 0)
        #expect(RolloutMath.maxUnavailable(Self.deployment(replicas: 0, surge: 1, unavailable: 1)) == 0)
    }

    @Test func newReplicaSetGrowsWithinTheSurge() {
        let d = Self.deployment(replicas: 3, surge: 1, unavailable: 0)
        let new0 = Self.rs("new", replicas: 0), new1 = Self.rs("new", replicas: 1)
        #expect(RolloutMath.newReplicaSetReplicas(d, all: [Self.rs("old", replicas: 3), new0], new: new0) == 1)
        #expect(RolloutMath.newReplicaSetReplicas(d, all: [Self.rs("old", replicas: 3), new1], new: new1) == 1)
        #expect(RolloutMath.newReplicaSetReplicas(d, all: [Self.rs("old", replicas: 2), new1], new: new1) == 2)
        #expect(RolloutMath.newReplicaSetReplicas(d, all: [Self.rs("old", replicas: 0), new0], new: new0) == 3)
    }

    @Test func proportionalScalingFollowsTheMaxReplicasAnnotation() {
        // Sized for 10 + surge 0; the Deployment is now 20: each ReplicaSet doubles.
        let d = Self.deployment(replicas: 20, surge: 0, unavailable: 1)
        let a = Self.rs("a", replicas: 6, maxReplicas: 10), b = Self.rs("b", replicas: 4, maxReplicas: 10)
        #expect(RolloutMath.proportion(a, d, toAdd: 10, added: 0) == 6)
        #expect(RolloutMath.proportion(b, d, toAdd: 10, added: 6) == 4)
        #expect(RolloutMath.proportion(b, d, toAdd: 10, added: 8) == 2)  // never more than is left
        let down = Self.deployment(replicas: 5, surge: 0, unavailable: 1)
        #expect(RolloutMath.proportion(a, down, toAdd: -5, added: 0) == -3)
    }

    static let template: JSON = ["metadata": ["labels": ["app": "web"]],
                                 "spec": ["containers": [["name": "app", "image": "busybox:1"]]]]

    @Test func podTemplateHashIsStableAndSafe() {
        let hash = PodTemplateHash.compute(Self.template, collisionCount: nil)
        #expect(hash == PodTemplateHash.compute(Self.template, collisionCount: nil))
        #expect(!hash.isEmpty && hash.count <= 10 && hash.allSatisfy { PodTemplateHash.alphabet.contains($0) })
        var changed = Self.template
        changed["spec", "containers"] = [["name": "app", "image": "busybox:2"]]
        #expect(PodTemplateHash.compute(changed, collisionCount: nil) != hash)
        #expect(PodTemplateHash.compute(Self.template, collisionCount: 1) != hash)
        // Absent and empty are the same template.
        var typed = Self.template
        typed["metadata", "creationTimestamp"] = .null
        typed["spec", "containers"] = [["name": "app", "image": "busybox:1", "resources": [:]]]
        #expect(PodTemplateHash.compute(typed, collisionCount: nil) == hash)
    }

    @Test func templatesCompareWithoutTheHashLabel() {
        var withHash = Self.template
        withHash["metadata", "labels", "pod-template-hash"] = "abc"
        withHash["metadata", "creationTimestamp"] = .null
        #expect(PodTemplateHash.equalIgnoringHash(withHash, Self.template))
        var other = Self.template
        other["metadata", "labels", "tier"] = "web"
        #expect(!PodTemplateHash.equalIgnoringHash(other, Self.template))
    }

    @Test func aReplicaSetThatBecomesNewAgainKeepsItsOldRevisions() {
        let d: JSON = ["metadata": ["annotations": ["kubernetes.io/change-cause": "undo", DeploymentAnnotations.revision: "2"]],
                       "spec": ["replicas": 2]]
        var rs: JSON = ["metadata": ["annotations": [DeploymentAnnotations.revision: "1"]]]
        #expect(DeploymentAnnotations.setNewReplicaSetAnnotations(d, &rs, newRevision: 3, exists: true))
        #expect(rs.objectAnnotations == [DeploymentAnnotations.revision: "3", DeploymentAnnotations.revisionHistory: "1",
                                         "kubernetes.io/change-cause": "undo"])
        #expect(!DeploymentAnnotations.setNewReplicaSetAnnotations(d, &rs, newRevision: 3, exists: true))
        var fresh: JSON = [:]
        #expect(DeploymentAnnotations.setNewReplicaSetAnnotations(d, &fresh, newRevision: 1, exists: false))
        #expect(fresh.objectAnnotations[DeploymentAnnotations.desiredReplicas] == "2")
        #expect(fresh.objectAnnotations[DeploymentAnnotations.maxReplicas] == "3")  // 25% of 2 rounds up to 1
        #expect(fresh.objectAnnotations[DeploymentAnnotations.revisionHistory] == nil)
    }

    @Test func replicaSetOrders() {
        func rs(_ name: String, _ replicas: Int, created: Double, revision: String) -> JSON {
            ["metadata": ["name": .string(name), "creationTimestamp": .string(Timestamp.format(created)),
                          "annotations": [DeploymentAnnotations.revision: .string(revision)]],
             "spec": ["replicas": .int(Int64(replicas))]]
        }
        let sets = [rs("b", 2, created: 200, revision: "3"), rs("a", 2, created: 100, revision: "1"), rs("c", 5, created: 300, revision: "2")]
        #expect(ReplicaSetOrder.byCreation(sets).map(\.objectName) == ["a", "b", "c"])
        #expect(ReplicaSetOrder.bySizeNewer(sets).map(\.objectName) == ["c", "b", "a"])
        #expect(ReplicaSetOrder.bySizeOlder(sets).map(\.objectName) == ["c", "a", "b"])
        #expect(ReplicaSetOrder.byRevision(sets).map(\.objectName) == ["a", "c", "b"])
    }
}
