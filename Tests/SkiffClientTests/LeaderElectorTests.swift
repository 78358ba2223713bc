import SkiffModel
import Testing
@testable import SkiffClient

@Suite(.timeLimit(.minutes(1))) struct LeaderElectorTests {
    static func elector(_ client: Client, _ identity: String) -> LeaderElector {
        var config = LeaderElector.Configuration(namespace: "kube-system", name: "test-lock", identity: identity)
        config.leaseDuration = .seconds(60)
        config.renewDeadline = .seconds(30)
        config.retryPeriod = .milliseconds(20)
        return LeaderElector(client: client, configuration: config, logger: TestCluster.logger)
    }

    @Test func oneLeadsAndTheOtherTakesOverAfterRelease() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            let log = EventLog()
            var events = EventReader(log)
            let a = Self.elector(client, "a")
            let b = Self.elector(client, "b")
            func run(_ elector: LeaderElector, _ name: String) async throws {
                try await elector.run {
                    log.record("\(name) leads")
                    try await Task.sleep(for: .seconds(3600))  // leads until cancelled
                } onStoppedLeading: {
                    log.record("\(name) stopped")
                } onNewLeader: { leader in
                    log.record("\(name) sees \(leader)")
                }
            }
            let runA = Task { try await run(a, "a") }
            #expect(await events.next(2) == ["a sees a", "a leads"])
            #expect(a.isLeader)

            // b finds the lease held (and unexpired) and waits.
            let runB = Task { try await run(b, "b") }
            #expect(await events.next() == "b sees a")
            #expect(!b.isLeader)
            var lease = try await client.get(.leases, namespace: "kube-system", name: "test-lock")
            #expect(lease["spec", "holderIdentity"] == "a")
            #expect(lease["spec", "leaseTransitions"] == 0)
            #expect(lease["spec", "leaseDurationSeconds"] == 60)

            // a stops and releases; b takes over at its next retry, without waiting out the lease.
            runA.cancel()
            try await runA.value
            // b may take over before a's onStoppedLeading has run.
            let after = await events.next(3)
            #expect(Set(after) == ["a stopped", "b sees b", "b leads"])
            #expect(after.firstIndex(of: "b sees b")! < after.firstIndex(of: "b leads")!)
            #expect(!a.isLeader && b.isLeader)
            lease = try await client.get(.leases, namespace: "kube-system", name: "test-lock")
            #expect(lease["spec", "holderIdentity"] == "b")
            #expect(lease["spec", "leaseTransitions"] == 1)

            runB.cancel()
            try await runB.value
            #expect(await events.next() == "b stopped")
            lease = try await client.get(.leases, namespace: "kube-system", name: "test-lock")
            #expect(lease["spec", "holderIdentity"] == "")
        }
    }

    @Test func aLeaderThatCannotRenewStepsDown() async throws {
        try await TestCluster.with { cluster in
            let client = cluster.client()
            let clock = ManualClock()
            var config = LeaderElector.Configuration(namespace: "kube-system", name: "renew-lock", identity: "a")
            config.releaseOnCancel = false
            let elector = LeaderElector(client: client, configuration: config, clock: clock, logger: TestCluster.logger)
            let log = EventLog()
            var events = EventReader(log)
            let run = Task {
                try await elector.run {
                    log.record("leads")
                    try await Task.sleep(for: .seconds(3600))
                } onStoppedLeading: {
                    log.record("stopped")
                }
            }
            #expect(await events.next() == "leads")
            // Someone else takes the lease behind the leader's back: renewals now fail.
            var lease = try await client.get(.leases, namespace: "kube-system", name: "renew-lock")
            lease["spec", "holderIdentity"] = "intruder"
            _ = try await client.update(.leases, lease)
            // Each retry period one renewal fails; after the renew deadline (10 s) the leader gives up.
            for _ in 0..<5 {
                await clock.waitForSleepers(1)
                clock.advance(by: .seconds(2))
            }
            #expect(await events.next() == "stopped")
            try await run.value
            #expect(!elector.isLeader)
        }
    }
}
