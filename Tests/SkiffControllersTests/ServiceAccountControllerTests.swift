import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct ServiceAccountControllerTests {
    @Test func everyActiveNamespaceGetsADefaultServiceAccountAgainAfterItIsDeleted() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.running({ client, informers in
                [ServiceAccountController(client: client, informers: informers, logger: HousekeepingCluster.logger)]
            }) {
                // Namespaces that existed before the controller started, and new ones.
                try await cluster.waitFor(.serviceAccounts, namespace: "kube-system", name: "default", "created") { $0 != nil }
                try await cluster.createNamespace("team-a")
                try await cluster.waitFor(.serviceAccounts, namespace: "team-a", name: "default", "created") { $0 != nil }

                try await cluster.client.delete(.serviceAccounts, namespace: "team-a", name: "default")
                try await cluster.waitFor(.serviceAccounts, namespace: "team-a", name: "default", "created again") { $0 != nil }
            }
        }
    }

    @Test func aTerminatingNamespaceGetsNone() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.createNamespace("leaving")
            try await cluster.client.delete(.namespaces, name: "leaving")
            let informers = SharedInformers(client: cluster.client, logger: HousekeepingCluster.logger)
            let controller = ServiceAccountController(client: cluster.client, informers: informers, logger: HousekeepingCluster.logger)
            try await cluster.running([controller], informers: informers) {
                try await cluster.waitFor(.serviceAccounts, namespace: "default", name: "default", "created") { $0 != nil }
                try await controller.reconcile("leaving")
                #expect(try await cluster.exists(.serviceAccounts, namespace: "leaving", name: "default") == nil)
            }
        }
    }
}
