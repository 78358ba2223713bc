import Testing
import SkiffModel
@testable import SkiffAPIServer

/// Discovery helpers: Kubernetes' version ordering and the aggregated-discovery Accept header.
@Suite struct DiscoveryTests {
    @Test func versionPriorityOrdersAsKubernetes() {
        // GA before beta before alpha; within each, the higher major, then the higher minor, first.
        let expected = ["v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v2beta1", "v1beta2", "v1beta1", "v12alpha1", "v11alpha2", "v1alpha1"]
        let sorted = expected.reversed().sorted { APIServer.versionPriority($0) > APIServer.versionPriority($1) }
        #expect(sorted == expected)
    }

    @Test(arguments: [("v1", "v1beta2"), ("v1beta2", "v1beta1"), ("v1beta1", "v1alpha1"), ("v2", "v1"), ("v2beta1", "v1beta2"), ("v1alpha2", "v1alpha1")])
    func higherPriority(higher: String, lower: String) {
        #expect(APIServer.versionPriority(higher) > APIServer.versionPriority(lower))
    }

    static let acceptHeaders: [(String, String?)] = [
        // client-go 1.30+: v2 first, then v2beta1, then the legacy documents.
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2"),
        // client-go 1.26-1.29: only v2beta1.
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1"),
        // The client's order wins.
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "v2beta1"),
        ("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", "v2"),
        ("application/json", nil),
        ("", nil),
        ("*/*", nil),
        ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", nil),
        ("application/json;g=apidiscovery.k8s.io;v=v2", nil),
        ("application/json;g=meta.k8s.io;v=v2;as=APIGroupDiscoveryList", nil),
    ]

    @Test(arguments: acceptHeaders)
    func aggregatedVersionFromAccept(accept: String, version: String?) {
        #expect(APIServer.aggregatedVersion(accept) == version)
    }

    @Test func groupsListTheirPreferredVersionFirst() async throws {
        try await StoreFixture.with { f in
            let server = APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: [:])), registry: f.registry,
                                   store: f.store, logger: StoreFixture.logger)
            let groups = Dictionary(uniqueKeysWithValues: server.groupVersions(f.registry.all))
            #expect(groups["apps"] == ["v1", "v1beta1"])
            #expect(groups["autoscaling"]?.first == "v2")
            #expect(groups["autoscaling"]?.contains("v1") == true)
            #expect(groups[""] == ["v1"])
        }
    }
}
