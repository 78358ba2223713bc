import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct RootCAPublisherTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

    @Test func publishesTheCAInEveryNamespaceAndRepairsIt() async throws {
        try await HousekeepingCluster.with { cluster in
            try await cluster.running({ client, informers in
                [RootCAPublisher(configuration: .init(caPEM: Self.pem), client: client, informers: informers, logger: HousekeepingCluster.logger)]
            }) {
                let name = RootCAPublisher.configMapName
                try await cluster.createNamespace("team-b")
                try await cluster.waitFor(.configMaps, namespace: "team-b", name: name, "published") { $0?["data", "ca.crt"]?.string == Self.pem }
                let cm = try await cluster.client.get(.configMaps, namespace: "team-b", name: name)
                #expect(cm["metadata", "annotations", "kubernetes.io/description"]?.string == RootCAPublisher.description)
                #expect(try await cluster.exists(.configMaps, namespace: "default", name: name) != nil)

                _ = try await cluster.client.patch(.configMaps, namespace: "team-b", name: name, type: .merge, ["data": ["ca.crt": "tampered", "extra": "x"]])
                try await cluster.waitFor(.configMaps, namespace: "team-b", name: name, "restored") {
                    $0?["data"] == ["ca.crt": .string(Self.pem)]
                }

                try await cluster.client.delete(.configMaps, namespace: "team-b", name: name)
                try await cluster.waitFor(.configMaps, namespace: "team-b", name: name, "published again") { $0?["data", "ca.crt"]?.string == Self.pem }
            }
        }
    }
}
