import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct NamespaceControllerTests {
    static func controller(_ client: Client, _ informers: SharedInformers) -> NamespaceController {
        var configuration = NamespaceController.Configuration()
        configuration.recheckInterval = .milliseconds(20)
        return NamespaceController(configuration: configuration, client: client, informers: informers, logger: HousekeepingCluster.logger)
    }

    @Test func deletingANamespaceMarksItTerminatingUntilItIsFinalized() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.createNamespace("held")
            let deleted = try await cluster.client.delete(.namespaces, name: "held")
            #expect(deleted["status", "phase"] == "Terminating")
            #expect(deleted["metadata", "deletionTimestamp"] != nil)
            let ns = try await cluster.client.get(.namespaces, name: "held")
            #expect(ns["spec", "finalizers"] == ["kubernetes"])
            await #expect(throws: APIError.self) { _ = try await cluster.client.create(.configMaps, HK.configMap("late", namespace: "held")) }

            // The finalize subresource replaces spec.finalizers only; emptied, the namespace goes.
            var body = ns
            body["spec", "finalizers"] = []
            body["metadata", "labels", "ignored"] = "yes"
            _ = try await cluster.client.request("PUT", "/api/v1/namespaces/held/finalize", body: body)
            #expect(try await cluster.exists(.namespaces, name: "held") == nil)
        }
    }

    @Test func finalizeOnAnActiveNamespaceOnlyChangesItsFinalizers() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.createNamespace("kept")
            var ns = try await cluster.client.get(.namespaces, name: "kept")
            ns["spec", "finalizers"] = ["example.com/one"]
            let result = try await cluster.client.request("PUT", "/api/v1/namespaces/kept/finalize", body: ns)
            #expect(result["spec", "finalizers"] == ["example.com/one"])
            #expect(result["status", "phase"] == "Active")
            ns["metadata", "resourceVersion"] = "1"
            await #expect(throws: APIError.self) { _ = try await cluster.client.request("PUT", "/api/v1/namespaces/kept/finalize", body: ns) }
        }
    }

    @Test func deletesEverythingInsideThenTheNamespace() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.createNamespace("doomed")
            let client = cluster.client
            for i in 0..<3 { _ = try await client.create(.configMaps, HK.configMap("cm-\(i)", namespace: "doomed")) }
            _ = try await client.create(.secrets, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "doomed"]])
            _ = try await client.create(.serviceAccounts, ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "sa", "namespace": "doomed"]])
            _ = try await client.create(.leases, ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                                  "metadata": ["name": "l", "namespace": "doomed"], "spec": [:]])
            try await cluster.running({ client, informers in [Self.controller(client, informers)] }) {
                try await client.delete(.namespaces, name: "doomed")
                try await cluster.waitGone(.namespaces, name: "doomed")
            }
            for resource in [Resource.configMaps, .secrets, .serviceAccounts, .leases] {
                #expect(try await client.list(resource, namespace: "doomed").items.isEmpty, "\(resource)")
            }
            #expect(try await cluster.exists(.namespaces, name: "default") != nil)
        }
    }

    @Test func waitsForContentWithFinalizersAndSaysSoInItsConditions() async throws {
        try await HousekeepingCluster.with { cluster in
            let client = cluster.client
            try await cluster.createNamespace("slow")
            _ = try await client.create(.configMaps, HK.configMap("held", namespace: "slow", finalizers: ["example.com/hold"]))
            try await cluster.running({ client, informers in [Self.controller(client, informers)] }) {
                try await client.delete(.namespaces, name: "slow")
                try await cluster.waitFor(.namespaces, name: "slow", "reports the finalizer") { ns in
                    let conditions = ns?["status", "conditions"]?.array ?? []
                    return conditions.contains {
                        $0["type"] == "NamespaceFinalizersRemaining" && $0["status"] == "True"
                            && $0["message"] == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
                    } && conditions.contains {
                        $0["type"] == "NamespaceContentRemaining" && $0["reason"] == "SomeResourcesRemain"
                            && $0["message"] == "Some resources are remaining: configmaps. has 1 resource instances"
                    }
                }
                let ns = try await client.get(.namespaces, name: "slow")
                #expect(ns["status", "phase"] == "Terminating")
                let types = (ns["status", "conditions"]?.array ?? []).compactMap { $0["type"]?.string }
                #expect(types == ["NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
                                  "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining"])

                _ = try await client.patch(.configMaps, namespace: "slow", name: "held", type: .merge, ["metadata": ["finalizers": JSON.null]])
                try await cluster.waitGone(.namespaces, name: "slow")
            }
        }
    }

    @Test func conditionsKeepTheirTransitionTimeWhileTheirStatusHolds() {
        let old: [JSON] = [["type": "A", "status": "False", "reason": "R", "message": "m", "lastTransitionTime": "t0"],
                           ["type": "Other", "status": "True", "lastTransitionTime": "t0"]]
        let merged = NamespaceConditions.merge(old, [["type": "A", "status": "False", "reason": "R", "message": "m"],
                                                     ["type": "B", "status": "True", "reason": "R", "message": "m"]], now: "t1")
        #expect(merged.map { $0["type"] } == ["Other", "A", "B"])
        #expect(merged.map { $0["lastTransitionTime"] } == ["t0", "t0", "t1"])
    }
}
