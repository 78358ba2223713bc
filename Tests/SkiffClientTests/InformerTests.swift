import Logging
import SkiffModel
import Testing
@testable import SkiffClient

/// Informers against the real API server in this process.
@Suite(.timeLimit(.minutes(1))) struct InformerTests {
    static let path = "/api/v1/namespaces/default/configmaps"

    /// A handler that logs `add|update|delete <key> <data.v>` for every change.
    static func recorder(_ log: EventLog) -> EventHandler {
        @Sendable func v(_ o: JSON) -> String { o["data", "v"]?.string ?? "-" }
        return EventHandler(onAdd: { log.record("add \(ObjectKey.of($0)) \(v($0))") },
                            onUpdate: { old, new in log.record("update \(ObjectKey.of(new)) \(v(old))->\(v(new))") },
                            onDelete: { log.record("delete \(ObjectKey.of($0)) \(v($0))") })
    }

    @Test func listThenWatchSeesCreatesUpdatesAndDeletes() async throws {
        try await TestCluster.with { cluster in
            let transport = TestTransport(api: cluster.api)
            let client = cluster.client(transport)
            _ = try await client.create(.configMaps, configMap("a", data: ["v": "1", "mode": "fast"]))
            _ = try await client.create(.configMaps, configMap("other", namespace: "kube-system"))
            let informer = Informer(client: client, resource: .configMaps, namespace: "default",
                                    indexers: ["mode": ObjectCache.fieldIndex("data", "mode")], logger: TestCluster.logger)
            let log = EventLog()
            informer.addEventHandler(Self.recorder(log))
            var events = EventReader(log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitForSync()
                #expect(informer.hasSynced)
                #expect(await events.next() == "add default/a 1")

                _ = try await client.create(.configMaps, configMap("b", data: ["v": "1", "mode": "slow"]))
                #expect(await events.next() == "add default/b 1")
                var a = try await client.get(.configMaps, namespace: "default", name: "a")
                a["data", "v"] = "2"
                _ = try await client.update(.configMaps, a)
                #expect(await events.next() == "update default/a 1->2")
                _ = try await client.patch(.configMaps, namespace: "default", name: "b", type: .merge, ["data": ["v": "3", "mode": "fast"]])
                #expect(await events.next() == "update default/b 1->3")
                try await client.delete(.configMaps, namespace: "default", name: "a")
                #expect(await events.next() == "delete default/a 2")

                let lister = informer.lister
                #expect(lister.get(namespace: "default", name: "a") == nil)
                #expect(lister.get(key: "default/b")?["data", "v"] == "3")
                #expect(lister.get(key: "default/b")?["kind"] == "ConfigMap")
                #expect(lister.list().map(ObjectKey.of) == ["default/b"])
                #expect(lister.list(namespace: "kube-system").isEmpty)
                #expect(lister.byIndex("mode", "fast").map(ObjectKey.of) == ["default/b"])
                #expect(lister.byIndex("mode", "slow").isEmpty)
                #expect(transport.listRequests(of: Self.path).count == 1)
                group.cancelAll()
            }
        }
    }

    @Test func watchResumesFromTheLastResourceVersionAndRelistsAfterGone() async throws {
        try await TestCluster.with(windowCapacity: 5) { cluster in
            let transport = TestTransport(api: cluster.api)
            let client = cluster.client(transport)
            let informer = Informer(client: client, resource: .configMaps, namespace: "default", logger: TestCluster.logger)
            let log = EventLog()
            informer.addEventHandler(Self.recorder(log))
            var events = EventReader(log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitForSync()
                _ = try await client.create(.configMaps, configMap("a", data: ["v": "1"]))
                #expect(await events.next() == "add default/a 1")

                // The server ends the watch: the informer watches again from where it was, without listing.
                let seen = informer.lastSyncResourceVersion
                transport.dropWatches()
                _ = try await client.create(.configMaps, configMap("b", data: ["v": "1"]))
                #expect(await events.next() == "add default/b 1")
                #expect(transport.listRequests(of: Self.path).count == 1)
                #expect(transport.watchRequests.count == 2)
                #expect(transport.watchRequests.last?.contains("resourceVersion=\(seen)&") == true)

                // The watch ends while more changes happen than the server's window holds: the
                // resumed watch gets 410, and a relist reports what was missed.
                transport.closeGate()
                transport.dropWatches()
                _ = try await client.create(.configMaps, configMap("c", data: ["v": "1"]))
                var b = try await client.get(.configMaps, namespace: "default", name: "b")
                b["data", "v"] = "2"
                _ = try await client.update(.configMaps, b)
                try await client.delete(.configMaps, namespace: "default", name: "a")
                for i in 0..<8 { _ = try await client.create(.configMaps, configMap("filler-\(i)", namespace: "kube-system")) }
                transport.openGate()
                #expect(await events.next(3) == ["add default/c 1", "update default/b 1->2", "delete default/a 1"])
                #expect(transport.listRequests(of: Self.path).count == 2)
                #expect(informer.lister.list().map(ObjectKey.of) == ["default/b", "default/c"])

                // And it watches on from the relist.
                _ = try await client.create(.configMaps, configMap("d", data: ["v": "1"]))
                #expect(await events.next() == "add default/d 1")
                #expect(transport.listRequests(of: Self.path).count == 2)
                group.cancelAll()
            }
        }
    }

    @Test func selectorsLimitWhatTheInformerSees() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            let informer = Informer(client: client, configuration: .init(resource: .configMaps, namespace: nil,
                                                                          labelSelector: try LabelSelector.parse("app=web")),
                                    logger: TestCluster.logger)
            let log = EventLog()
            informer.addEventHandler(Self.recorder(log))
            var events = EventReader(log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitForSync()
                _ = try await client.create(.configMaps, configMap("x", data: ["v": "1"]))
                _ = try await client.create(.configMaps, configMap("y", namespace: "kube-system", data: ["v": "1"], labels: ["app": "web"]))
                #expect(await events.next() == "add kube-system/y 1")
                #expect(informer.lister.count == 1)
                group.cancelAll()
            }
        }
    }

    @Test func aHandlerAddedToARunningInformerIsToldWhatItHolds() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            _ = try await client.create(.configMaps, configMap("a", data: ["v": "1"]))
            let informer = Informer(client: client, resource: .configMaps, namespace: "default", logger: TestCluster.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitForSync()
                let log = EventLog()
                informer.addEventHandler(Self.recorder(log))
                var events = EventReader(log)
                #expect(await events.next() == "add default/a 1")
                _ = try await client.create(.configMaps, configMap("b", data: ["v": "1"]))
                #expect(await events.next() == "add default/b 1")
                group.cancelAll()
            }
        }
    }

    @Test func aMetadataOnlyInformerKeepsNoData() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            _ = try await client.create(.configMaps, configMap("a", data: ["v": "1"], labels: ["app": "web"]))
            var configuration = Informer.Configuration(resource: .configMaps, namespace: "default")
            configuration.metadataOnly = true
            let informer = Informer(client: client, configuration: configuration, logger: TestCluster.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await informer.waitForSync()
                _ = try await client.create(.configMaps, configMap("b", data: ["v": "2"]))
                while informer.lister.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
                for key in ["default/a", "default/b"] {
                    let cached = try #require(informer.lister.get(key: key))
                    #expect(cached["data"] == nil)
                    #expect(cached["kind"] == "ConfigMap")
                    #expect(cached["apiVersion"] == "v1")
                    #expect(cached["metadata", "uid"]?.string != nil)
                }
                #expect(informer.lister.get(key: "default/a")?["metadata", "labels", "app"] == "web")
                #expect(informer.lister.get(key: "default/a")?["metadata", "managedFields"] == nil)
                group.cancelAll()
            }
        }
    }

    @Test func cancellingRunEndsIt() async throws {
        try await TestCluster.with { cluster in
            let informer = Informer(client: cluster.client(), resource: .pods, logger: TestCluster.logger)
            let task = Task { try await informer.run() }
            try await informer.waitForSync()
            task.cancel()
            try await task.value
            #expect(informer.hasSynced)
        }
    }
}
