import Synchronization
import Testing
@testable import SkiffClient

@Suite(.timeLimit(.minutes(1))) struct ControllerRunnerTests {
    /// Counts reconciles per key and fails a key's first reconcile when asked to.
    final class Reconciler: Sendable {
        let counts = Mutex<[String: Int]>([:])
        let failFirst: Set<String>
        let log: EventLog

        init(failFirst: Set<String> = [], log: EventLog) {
            self.failFirst = failFirst
            self.log = log
        }

        func reconcile(_ key: String) throws {
            let n = counts.withLock { c in
                c[key, default: 0] += 1
                return c[key]!
            }
            if failFirst.contains(key) && n == 1 {
                log.record("failed \(key)")
                struct Transient: Error {}
                throw Transient()
            }
            log.record(key)
        }
    }

    @Test func reconcilesEachKeyOncePerChangeAndRetriesFailures() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            _ = try await client.create(.configMaps, configMap("existing"))
            let informer = Informer(client: client, resource: .configMaps, namespace: "default", logger: TestCluster.logger)
            let queue = WorkQueue<String>(name: "test")
            informer.addEventHandler(.enqueue(into: queue))
            let log = EventLog()
            let reconciler = Reconciler(failFirst: ["default/flaky"], log: log)
            let runner = ControllerRunner(name: "test", informers: [informer], queue: queue, workers: 3, logger: TestCluster.logger) {
                try reconciler.reconcile($0)
            }
            var events = EventReader(log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                group.addTask { try await informer.run() }
                // Workers start only after the sync, with every existing key queued.
                #expect(await events.next() == "default/existing")

                _ = try await client.create(.configMaps, configMap("a"))
                #expect(await events.next() == "default/a")
                _ = try await client.patch(.configMaps, namespace: "default", name: "a", type: .merge, ["data": ["k": "v"]])
                #expect(await events.next() == "default/a")
                _ = try await client.create(.configMaps, configMap("flaky"))
                #expect(await events.next(2) == ["failed default/flaky", "default/flaky"])
                try await client.delete(.configMaps, namespace: "default", name: "a")
                #expect(await events.next() == "default/a")
                // A last change after all the others: once it is reconciled, nothing else is pending.
                _ = try await client.create(.configMaps, configMap("last"))
                #expect(await events.next() == "default/last")

                #expect(reconciler.counts.withLock { $0 } == ["default/existing": 1, "default/a": 3, "default/flaky": 2, "default/last": 1])
                #expect(await queue.numRequeues("default/flaky") == 0)  // forgotten after its success
                let metrics = await queue.metrics
                #expect(metrics.retries == 1 && metrics.depth == 0)
                group.cancelAll()
            }
            #expect(await queue.isShuttingDown)
        }
    }
}
