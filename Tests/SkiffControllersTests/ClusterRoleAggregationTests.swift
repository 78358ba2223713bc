import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct ClusterRoleAggregationTests {
    typealias F = ClusterControllerFixture
    static let roles = ClusterRoleAggregationController.resource

    static func role(_ name: String, labels: JSON = [:], rules: JSON = [], aggregates: String? = nil) -> JSON {
        var r: JSON = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": .string(name), "labels": labels],
                       "rules": rules]
        if let aggregates { r["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": [.init(stringLiteral: aggregates): "true"]]]] }
        return r
    }

    @Test func anAggregatedRoleGathersTheRulesOfTheRolesItsSelectorsMatch() async throws {
        try await F.with([Self.roles]) { f in
            let controller = ClusterRoleAggregationController(client: f.client, informers: f.informers, logger: HousekeepingCluster.logger)
            let pods: JSON = ["apiGroups": [""], "resources": ["pods"], "verbs": ["get"]]
            let widgets: JSON = ["apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get", "list"]]
            _ = try await f.client.create(Self.roles, Self.role("viewer", aggregates: "example.com/aggregate-to-viewer"))
            _ = try await f.client.create(Self.roles, Self.role("b-widgets", labels: ["example.com/aggregate-to-viewer": "true"], rules: [widgets]))
            _ = try await f.client.create(Self.roles, Self.role("a-pods", labels: ["example.com/aggregate-to-viewer": "true"], rules: [pods, widgets]))
            _ = try await f.client.create(Self.roles, Self.role("other", rules: [["apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]]]))
            try await f.running {
                try await f.waitUntil("cached") { f.lister(Self.roles).count == 4 }
                try await controller.reconcile("viewer")
                let viewer = try await f.client.get(Self.roles, name: "viewer")
                #expect(viewer["rules"] == [pods, widgets])  // name order, no duplicates, not "other"
                // A role that stops matching leaves.
                _ = try await f.client.patch(Self.roles, name: "a-pods", type: .merge, ["metadata": ["labels": ["example.com/aggregate-to-viewer": .null]]])
                try await f.waitUntil("label gone") { f.lister(Self.roles).get(namespace: "", name: "a-pods")?.objectLabels.isEmpty == true }
                try await controller.reconcile("viewer")
                #expect(try await f.client.get(Self.roles, name: "viewer")["rules"] == [widgets])
            }
        }
    }
}
