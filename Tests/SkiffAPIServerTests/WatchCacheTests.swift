import Testing
import SkiffModel
@testable import SkiffAPIServer

@Suite(.timeLimit(.minutes(1))) struct WatchCacheTests {
    static func revision(_ object: JSON) -> Int64 { Int64(object["metadata", "resourceVersion"]?.string ?? "") ?? -1 }

    @Test func listSeesEveryAcknowledgedWrite() async throws {
        try await StoreFixture.with { f in
            var last: Int64 = 0
            for name in ["c", "a", "b"] {
                last = try await Self.revision(f.create(f.configMaps, Fixtures.configMap(name)))
            }
            try await f.create(f.configMaps, Fixtures.configMap("z", namespace: "kube-system"))
            await f.store.sync()
            let prefix = f.configMaps.keyPrefix
            let (items, revision) = await f.cache.list(resourcePrefix: prefix, keyPrefix: f.configMaps.key(namespace: "default", name: nil))
            #expect(items.map(\.name) == ["a", "b", "c"])
            #expect(items.allSatisfy { $0.namespace == "default" })
            #expect(revision > last)
            for item in items {
                #expect(item.object["metadata", "resourceVersion"]?.string == String(item.revision))
            }
            #expect(await f.cache.list(resourcePrefix: prefix, keyPrefix: prefix).items.count == 4)
            #expect(await f.cache.count(resourcePrefix: prefix, keyPrefix: f.configMaps.key(namespace: "kube-system", name: nil)) == 1)
        }
    }

    @Test func parsedCopiesFollowEveryChange() async throws {
        try await StoreFixture.with { f in
            let prefix = f.configMaps.keyPrefix, inDefault = f.configMaps.key(namespace: "default", name: nil)
            let keyOfA = f.configMaps.key(namespace: "default", name: "a")
            let a = try await f.create(f.configMaps, Fixtures.configMap("a"))
            await f.store.sync()
            #expect(await f.cache.parsedList(resourcePrefix: prefix, keyPrefix: inDefault).map { $0["metadata", "name"] } == ["a"])
            #expect(await f.cache.parsedObject(resourcePrefix: prefix, key: keyOfA)?["data", "k"] == "v")
            var edit = a
            edit["data", "k"] = "v2"
            try await f.update(f.configMaps, edit)
            try await f.create(f.configMaps, Fixtures.configMap("b"))
            try await f.create(f.pods, Fixtures.pod("p", nodeName: "node-1"))  // another resource
            await f.store.sync()
            let list = await f.cache.parsedList(resourcePrefix: prefix, keyPrefix: inDefault)
            #expect(list.map { $0["metadata", "name"] } == ["a", "b"])
            #expect(list.first?["data", "k"] == "v2")
            #expect(await f.cache.parsedObject(resourcePrefix: prefix, key: keyOfA)?["data", "k"] == "v2")
            _ = try await f.delete(f.configMaps, "default", "a")
            await f.store.sync()
            #expect(await f.cache.parsedList(resourcePrefix: prefix, keyPrefix: inDefault).map { $0["metadata", "name"] } == ["b"])
            #expect(await f.cache.parsedObject(resourcePrefix: prefix, key: keyOfA) == nil)
        }
    }

    @Test func cachedObjectsCarrySelectorFields() async throws {
        try await StoreFixture.with { f in
            var cm = Fixtures.configMap("c")
            cm["metadata", "labels"] = ["app": "web"]
            try await f.create(f.configMaps, cm)
            try await f.create(f.pods, Fixtures.pod("p", nodeName: "node-1"))
            await f.store.sync()
            let cached = try #require(await f.cache.get(resourcePrefix: f.configMaps.keyPrefix, key: f.configMaps.key(namespace: "default", name: "c")))
            #expect(cached.labels == ["app": "web"])
            #expect(cached.fields == ["metadata.name": "c", "metadata.namespace": "default"])
            let pod = try #require(await f.cache.get(resourcePrefix: f.pods.keyPrefix, key: f.pods.key(namespace: "default", name: "p")))
            #expect(pod.fields["spec.nodeName"] == "node-1")
            #expect(pod.fields["status.phase"] == "Pending")
            let ns = try #require(await f.cache.get(resourcePrefix: f.namespaces.keyPrefix, key: f.namespaces.key(namespace: nil, name: "default")))
            #expect(ns.fields["metadata.namespace"] == nil)
        }
    }

    @Test func watchFromARevisionReplaysLaterEventsInOrder() async throws {
        try await StoreFixture.with { f in
            let a = try await f.create(f.configMaps, Fixtures.configMap("a"))
            var edit = a
            edit["data", "k"] = "v2"
            let a2 = try await f.update(f.configMaps, edit)
            let b = try await f.create(f.configMaps, Fixtures.configMap("b"))
            guard case .deleted(let gone) = try await f.delete(f.configMaps, "default", "a") else {
                Issue.record("expected a delete")
                return
            }
            await f.store.sync()

            let prefix = f.configMaps.keyPrefix
            let (initial, stream, _) = try await f.cache.watch(resourcePrefix: prefix, keyPrefix: prefix, after: Self.revision(a))
            #expect(initial.isEmpty)
            var events = stream.makeAsyncIterator()
            var seen: [(CacheEvent.Kind, String, Int64)] = []
            for _ in 0..<3 {
                guard let e = await events.next() else { break }
                seen.append((e.kind, e.object.name, e.revision))
            }
            #expect(seen.map(\.0) == [.modified, .added, .deleted])
            #expect(seen.map(\.1) == ["a", "b", "a"])
            #expect(seen.map(\.2) == [Self.revision(a2), Self.revision(b), Self.revision(gone)])

            // Then live events follow.
            let c = try await f.create(f.configMaps, Fixtures.configMap("c"))
            let live = await events.next()
            #expect(live?.kind == .added)
            #expect(live?.object.name == "c")
            #expect(live?.revision == Self.revision(c))
            #expect(live?.object.object["metadata", "resourceVersion"]?.string == String(Self.revision(c)))
        }
    }

    @Test func modifiedAndDeletedEventsCarryThePreviousObject() async throws {
        try await StoreFixture.with { f in
            var cm = Fixtures.configMap("c")
            cm["metadata", "labels"] = ["v": "1"]
            let created = try await f.create(f.configMaps, cm)
            var edit = created
            edit["metadata", "labels"] = ["v": "2"]
            try await f.update(f.configMaps, edit)
            _ = try await f.delete(f.configMaps, "default", "c")
            await f.store.sync()
            let prefix = f.configMaps.keyPrefix
            let (_, stream, _) = try await f.cache.watch(resourcePrefix: prefix, keyPrefix: prefix, after: Self.revision(created))
            var events = stream.makeAsyncIterator()
            let modified = await events.next()
            #expect(modified?.previous?.labels == ["v": "1"])
            #expect(modified?.object.labels == ["v": "2"])
            let deleted = await events.next()
            #expect(deleted?.kind == .deleted)
            #expect(deleted?.previous?.labels == ["v": "2"])
        }
    }

    @Test func watchFromTooOldARevisionIsExpired() async throws {
        try await StoreFixture.with(windowCapacity: 3) { f in
            // Four namespaces and four ConfigMaps: the window of 3 keeps the last three ConfigMaps.
            var revisions: [Int64] = []
            for name in ["c1", "c2", "c3", "c4"] {
                try await revisions.append(Self.revision(f.create(f.configMaps, Fixtures.configMap(name))))
            }
            await f.store.sync()
            let prefix = f.configMaps.keyPrefix
            let tooOld = revisions[0] - 1
            let error = await apiError { _ = try await f.cache.watch(resourcePrefix: prefix, keyPrefix: prefix, after: tooOld) }
            #expect(error?.code == 410)
            #expect(error?.reason == "Expired")
            // Kubernetes names the oldest revision a watch may still start from.
            #expect(error?.message == "too old resource version: \(tooOld) (\(revisions[0]))")

            // The oldest resumable revision replays exactly what the window holds.
            let (_, stream, _) = try await f.cache.watch(resourcePrefix: prefix, keyPrefix: prefix, after: revisions[0])
            var events = stream.makeAsyncIterator()
            var names: [String] = []
            for _ in 0..<3 { if let e = await events.next() { names.append(e.object.name) } }
            #expect(names == ["c2", "c3", "c4"])
        }
    }

    @Test func watchSeesOnlyKeysUnderItsPrefix() async throws {
        try await StoreFixture.with { f in
            for ns in ["a", "ab"] {
                try await f.create(f.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
            }
            try await f.create(f.configMaps, Fixtures.configMap("before", namespace: "a"))
            try await f.create(f.configMaps, Fixtures.configMap("other", namespace: "ab"))
            await f.store.sync()
            let (initial, stream, _) = try await f.cache.watch(resourcePrefix: f.configMaps.keyPrefix,
                                                               keyPrefix: f.configMaps.key(namespace: "a", name: nil), after: nil)
            #expect(initial.map(\.name) == ["before"])
            var events = stream.makeAsyncIterator()
            try await f.create(f.configMaps, Fixtures.configMap("skip", namespace: "ab"))
            try await f.create(f.configMaps, Fixtures.configMap("skip", namespace: "default"))
            try await f.create(f.pods, Fixtures.pod("skip", namespace: "a"))
            try await f.create(f.configMaps, Fixtures.configMap("mine", namespace: "a"))
            let first = await events.next()
            #expect(first?.object.name == "mine")
            #expect(first?.object.namespace == "a")
        }
    }

    @Test func backlogIsFilteredByPrefixToo() async throws {
        try await StoreFixture.with { f in
            let start = try await Self.revision(f.create(f.configMaps, Fixtures.configMap("first")))
            try await f.create(f.configMaps, Fixtures.configMap("elsewhere", namespace: "kube-system"))
            try await f.create(f.configMaps, Fixtures.configMap("here"))
            await f.store.sync()
            let (_, stream, _) = try await f.cache.watch(resourcePrefix: f.configMaps.keyPrefix,
                                                         keyPrefix: f.configMaps.key(namespace: "default", name: nil), after: start)
            var events = stream.makeAsyncIterator()
            let first = await events.next()
            #expect(first?.object.name == "here")
        }
    }
}
