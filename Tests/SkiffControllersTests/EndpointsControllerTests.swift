import SkiffClient
import SkiffModel
import Testing
@testable import SkiffControllers

@Suite(.timeLimit(.minutes(1))) struct EndpointsControllerTests {
    typealias F = ClusterControllerFixture

    static func service(_ name: String, selector: [String: String], targetPort: JSON = "http", publishNotReady: Bool = false) -> JSON {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default", "labels": ["team": "a"]],
         "spec": ["selector": JSON(selector), "publishNotReadyAddresses": .bool(publishNotReady),
                  "ports": [["name": "web", "port": 80, "protocol": "TCP", "targetPort": targetPort]]]]
    }

    /// Three Pods: ready (a), not ready (b), no IP (c); plus d in another app and e terminating-free.
    static func seed(_ f: F) async throws {
        _ = try await f.client.create(.pods, F.pod("a", node: "n1", labels: ["app": "web"],
                                                    extraSpec: ["hostname": "a-host", "subdomain": "web"]))
        _ = try await f.client.create(.pods, F.pod("b", node: "n2", labels: ["app": "web"]))
        _ = try await f.client.create(.pods, F.pod("c", node: "n2", labels: ["app": "web"]))
        _ = try await f.client.create(.pods, F.pod("d", node: "n2", labels: ["app": "other"]))
        try await f.setRunning("a", ip: "10.0.0.2")
        try await f.setRunning("b", ready: false, ip: "10.0.0.3")
        try await f.setRunning("d", ip: "10.0.0.9")
    }

    @Test func readyAndNotReadyAddressesWithResolvedNamedPort() async throws {
        try await F.with([.pods, .services, .endpoints]) { f in
            let controller = EndpointsController(client: f.client, informers: f.informers, clock: f.clock, logger: HousekeepingCluster.logger)
            try await Self.seed(f)
            _ = try await f.client.create(.services, Self.service("web", selector: ["app": "web"]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.services).get(namespace: "default", name: "web") != nil
                    && f.lister(.pods).list().filter { $0["status", "podIP"] != nil }.count == 3 }
                try await controller.reconcile("default/web")
                let ep = try await f.client.get(.endpoints, namespace: "default", name: "web")
                #expect(ep["metadata", "labels"] == ["team": "a"])
                let subsets = ep["subsets"]?.array ?? []
                #expect(subsets.count == 1)
                let a = subsets.first?["addresses"]?.array ?? []
                #expect(a.map { $0["ip"] } == ["10.0.0.2"])
                #expect(a.first?["hostname"] == "a-host")
                #expect(a.first?["nodeName"] == "n1")
                #expect(a.first?["targetRef", "kind"] == "Pod")
                #expect(a.first?["targetRef", "name"] == "a")
                #expect(subsets.first?["notReadyAddresses"]?.array?.map { $0["ip"] } == ["10.0.0.3"])
                #expect(subsets.first?["ports"] == [["name": "web", "port": 8080, "protocol": "TCP"]])
            }
        }
    }

    @Test func publishNotReadyAddressesAndServiceDeletion() async throws {
        try await F.with([.pods, .services, .endpoints]) { f in
            let controller = EndpointsController(client: f.client, informers: f.informers, clock: f.clock, logger: HousekeepingCluster.logger)
            try await Self.seed(f)
            _ = try await f.client.create(.services, Self.service("web", selector: ["app": "web"], targetPort: 9000, publishNotReady: true))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.services).count >= 1
                    && f.lister(.pods).list().filter { $0["status", "podIP"] != nil }.count == 3 }
                try await controller.reconcile("default/web")
                let ep = try await f.client.get(.endpoints, namespace: "default", name: "web")
                #expect(ep["subsets", ]?.array?.first?["addresses"]?.array?.map { $0["ip"] } == ["10.0.0.2", "10.0.0.3"])
                #expect(ep["subsets"]?.array?.first?["ports"]?.array?.first?["port"] == 9000)
                _ = try await f.client.delete(.services, namespace: "default", name: "web")
                try await f.waitUntil("gone") { f.lister(.services).get(namespace: "default", name: "web") == nil
                    && f.lister(.endpoints).get(namespace: "default", name: "web") != nil }
                try await controller.reconcile("default/web")
                #expect(try await f.cluster.exists(.endpoints, namespace: "default", name: "web") == nil)
            }
        }
    }

    @Test func endpointSlicesWithConditionsAndLimit() async throws {
        try await F.with([.pods, .services, .nodes, .endpointSlices]) { f in
            var settings = EndpointSliceController.Configuration()
            settings.maxEndpointsPerSlice = 2
            let controller = EndpointSliceController(configuration: settings, client: f.client, informers: f.informers, clock: f.clock,
                                                     logger: HousekeepingCluster.logger)
            try await Self.seed(f)
            _ = try await f.client.create(.pods, F.pod("e", node: "n1", labels: ["app": "web"]))
            try await f.setRunning("e", ip: "10.0.0.4")
            let svc = try await f.client.create(.services, Self.service("web", selector: ["app": "web"]))
            _ = try await f.client.create(.services, Self.service("empty", selector: ["app": "none"]))
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.services).count >= 2
                    && f.lister(.pods).list().filter { $0["status", "podIP"] != nil }.count == 4 }
                try await controller.reconcile("default/web")
                try await controller.reconcile("default/empty")
                try await f.waitUntil("slices in cache") { f.lister(.endpointSlices).count == 3 }
                let slices = controller.owned(namespace: "default", service: "web")
                #expect(slices.count == 2)
                for s in slices {
                    #expect(s.objectName.hasPrefix("web-"))
                    #expect(s.objectLabels["kubernetes.io/service-name"] == "web")
                    #expect(s.objectLabels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
                    #expect(s["addressType"] == "IPv4")
                    #expect(s["ports"] == [["name": "web", "port": 8080, "protocol": "TCP"]])
                    #expect(s.controllerRef?["uid"]?.string == svc.objectUID)
                }
                let endpoints = slices.flatMap { $0["endpoints"]?.array ?? [] }
                #expect(endpoints.compactMap { $0["addresses"]?.array?.first?.string }.sorted() == ["10.0.0.2", "10.0.0.3", "10.0.0.4"])
                let b = endpoints.first { $0["targetRef", "name"] == "b" }
                #expect(b?["conditions"] == ["ready": false, "serving": false, "terminating": false])
                #expect(endpoints.first { $0["targetRef", "name"] == "a" }?["hostname"] == "a-host")
                let empty = controller.owned(namespace: "default", service: "empty")
                #expect(empty.count == 1 && empty.first?["endpoints"] == [])

                // Deleting a Pod (graceful: terminating) makes its endpoint not ready, terminating.
                _ = try await f.client.delete(.pods, namespace: "default", name: "a")
                try await f.waitUntil("a terminating") { f.lister(.pods).get(namespace: "default", name: "a")?.isBeingDeleted ?? true }
                try await controller.reconcile("default/web")
                try await f.waitUntil("a's endpoint terminating") {
                    controller.owned(namespace: "default", service: "web").flatMap { $0["endpoints"]?.array ?? [] }
                        .first { $0["targetRef", "name"] == "a" }?["conditions"] == ["ready": false, "serving": true, "terminating": true]
                }
            }
        }
    }
}

@Suite struct EndpointsTruncationTests {
    static func addresses(_ prefix: String, _ n: Int) -> JSON { .array((0..<n).map { ["ip": .string("\(prefix).\($0)")] }) }

    @Test func notReadyAddressesAreCutFirstInProportion() {
        var subsets: [JSON] = [["addresses": Self.addresses("10.0.0", 600), "notReadyAddresses": Self.addresses("10.0.1", 300)],
                               ["notReadyAddresses": Self.addresses("10.0.2", 300)]]
        #expect(EndpointsTruncation.truncate(&subsets))
        #expect(subsets[0]["addresses"]?.array?.count == 600)
        #expect(subsets[0]["notReadyAddresses"]?.array?.count == 200)
        #expect(subsets[1]["notReadyAddresses"]?.array?.count == 200)
    }

    @Test func tooManyReadyAddressesDropAllNotReady() {
        var subsets: [JSON] = [["addresses": Self.addresses("10.0.0", 900), "notReadyAddresses": Self.addresses("10.0.1", 5)],
                               ["addresses": Self.addresses("10.0.2", 300)]]
        #expect(EndpointsTruncation.truncate(&subsets))
        #expect(subsets[0]["addresses"]?.array?.count == 750)
        #expect(subsets[0]["notReadyAddresses"] == nil)
        #expect(subsets[1]["addresses"]?.array?.count == 250)
    }

    @Test func underCapacityIsLeftAlone() {
        var subsets: [JSON] = [["addresses": Self.addresses("10.0.0", 1000)]]
        #expect(!EndpointsTruncation.truncate(&subsets))
        #expect(subsets[0]["addresses"]?.array?.count == 1000)
    }
}
