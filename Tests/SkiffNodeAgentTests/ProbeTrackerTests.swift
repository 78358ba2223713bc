import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The probe state machine with an explicit clock: results are fed in at chosen times.
struct ProbeTrackerTests {
    static func probe(_ kind: Probe.Kind, delay: Double = 0, period: Double = 10, success: Int = 1, failure: Int = 3) -> Probe {
        Probe(kind: kind, handler: .exec(command: ["true"]),
              timing: ProbeTiming(initialDelaySeconds: delay, periodSeconds: period, successThreshold: success, failureThreshold: failure))
    }

    @Test func initialResultsAreKubernetes() {
        #expect(ProbeTracker(Self.probe(.readiness)).result == false)
        #expect(ProbeTracker(Self.probe(.liveness)).result == true)
        #expect(ProbeTracker(Self.probe(.startup)).result == nil)
    }

    @Test func firstRunAfterInitialDelayThenEveryPeriod() {
        var t = ProbeTracker(Self.probe(.liveness, delay: 5, period: 10))
        #expect(t.nextRun(startedAt: 100) == 105)
        _ = t.record(success: true, at: 105)
        #expect(t.nextRun(startedAt: 100) == 115)
        _ = t.record(success: true, at: 116)
        #expect(t.nextRun(startedAt: 100) == 126)
    }

    @Test func livenessKillsOnlyAtFailureThresholdThenHolds() {
        var t = ProbeTracker(Self.probe(.liveness, failure: 3))
        #expect(t.record(success: false, at: 0) == .none)
        #expect(t.record(success: false, at: 10) == .none)
        #expect(t.record(success: true, at: 20) == .none)  // the streak starts again
        #expect(t.record(success: false, at: 30) == .none)
        #expect(t.record(success: false, at: 40) == .none)
        #expect(t.record(success: false, at: 50) == .kill)
        #expect(t.onHold)
        #expect(t.record(success: false, at: 60) == .none)
    }

    @Test func readinessNeedsSuccessThresholdAndNeverKills() {
        var t = ProbeTracker(Self.probe(.readiness, success: 2, failure: 2))
        #expect(t.record(success: true, at: 0) == .none)
        #expect(t.record(success: true, at: 10) == .result(true))
        #expect(t.record(success: true, at: 20) == .none)
        #expect(t.record(success: false, at: 30) == .none)
        #expect(t.record(success: false, at: 40) == .result(false))
        #expect(!t.onHold)
        #expect(t.record(success: true, at: 50) == .none)
        #expect(t.record(success: true, at: 60) == .result(true))
    }

    @Test func startupFailureKills() {
        var t = ProbeTracker(Self.probe(.startup, failure: 2))
        #expect(t.record(success: false, at: 0) == .none)
        #expect(t.record(success: false, at: 1) == .kill)
    }

    @Test func startupGatesLivenessAndReadiness() {
        var p = ContainerProbes([Self.probe(.startup, failure: 5), Self.probe(.liveness), Self.probe(.readiness)])
        #expect(!p.started && !p.ready)
        #expect(p.shouldRun(.startup) && !p.shouldRun(.liveness) && !p.shouldRun(.readiness))
        #expect(p.record(.startup, success: false, at: 0) == .none)
        #expect(p.record(.startup, success: true, at: 10) == .result(true))
        #expect(p.started && !p.ready)  // readiness has not succeeded yet
        #expect(!p.shouldRun(.startup) && p.shouldRun(.liveness) && p.shouldRun(.readiness))
        #expect(p.record(.readiness, success: true, at: 11) == .result(true))
        #expect(p.ready)
    }

    @Test func withoutProbesARunningContainerIsStartedAndReady() {
        let none = ContainerProbes([])
        #expect(none.isEmpty && none.started && none.ready)
        let liveOnly = ContainerProbes([Self.probe(.liveness)])
        #expect(liveOnly.started && liveOnly.ready)
        let startupOnly = ContainerProbes([Self.probe(.startup)])
        #expect(!startupOnly.started && !startupOnly.ready)
    }

    @Test func livenessFailureLeavesReadinessAlone() {
        var p = ContainerProbes([Self.probe(.liveness, failure: 1), Self.probe(.readiness)])
        _ = p.record(.readiness, success: true, at: 0)
        #expect(p.record(.liveness, success: false, at: 0) == .kill)
        #expect(!p.shouldRun(.liveness) && p.shouldRun(.readiness) && p.ready)
    }
}

struct ProbeSpecTests {
    static let container: JSON = [
        "name": "main", "ports": [["name": "http", "containerPort": 8080]],
    ]

    static func parse(_ kind: Probe.Kind, _ probe: JSON) -> Probe? {
        var c = container
        c[kind.field] = probe
        return Probe.of(container: c, kind: kind)
    }

    @Test func defaults() throws {
        let p = try #require(Self.parse(.liveness, ["exec": ["command": ["cat", "/tmp/healthy"]]]))
        #expect(p.handler == .exec(command: ["cat", "/tmp/healthy"]))
        #expect(p.timing == ProbeTiming(initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3))
        #expect(p.terminationGracePeriodSeconds == nil)
        #expect(Probe.of(container: Self.container, kind: .readiness) == nil)
    }

    @Test func timingAndProbeGracePeriod() throws {
        let p = try #require(Self.parse(.startup, ["tcpSocket": ["port": 80], "initialDelaySeconds": 2, "periodSeconds": 3,
                                                   "timeoutSeconds": 4, "successThreshold": 1, "failureThreshold": 30,
                                                   "terminationGracePeriodSeconds": 7]))
        #expect(p.timing == ProbeTiming(initialDelaySeconds: 2, periodSeconds: 3, timeoutSeconds: 4, successThreshold: 1, failureThreshold: 30))
        #expect(p.terminationGracePeriodSeconds == 7)
        #expect(p.handler == .tcpSocket(host: nil, port: 80))
        // Readiness probes have no grace period of their own.
        let r = try #require(Self.parse(.readiness, ["tcpSocket": ["port": 80], "terminationGracePeriodSeconds": 7]))
        #expect(r.terminationGracePeriodSeconds == nil)
    }

    @Test func httpGetWithNamedPortHeadersAndDefaults() throws {
        let p = try #require(Self.parse(.readiness, ["httpGet": ["port": "http", "path": "healthz", "scheme": "HTTPS",
                                                                 "httpHeaders": [["name": "X-Probe", "value": "1"]]]]))
        #expect(p.handler == .httpGet(host: nil, port: 8080, path: "/healthz", scheme: "HTTPS",
                                      headers: [Probe.Header(name: "X-Probe", value: "1")]))
        let q = try #require(Self.parse(.readiness, ["httpGet": ["port": 80, "host": "127.0.0.1"]]))
        #expect(q.handler == .httpGet(host: "127.0.0.1", port: 80, path: "/", scheme: "HTTP", headers: []))
    }

    @Test(arguments: [
        (["httpGet": ["port": "nope"]] as JSON, "couldn't find port: nope"),
        (["tcpSocket": ["port": 70000]] as JSON, "invalid port: 70000"),
        (["exec": ["command": []]] as JSON, "exec probe has no command"),
        (["periodSeconds": 3] as JSON, "probe has no handler (exec, httpGet, tcpSocket or grpc)"),
    ])
    func badProbesFailWithAMessage(_ probe: JSON, _ message: String) throws {
        let p = try #require(Self.parse(.liveness, probe))
        #expect(p.handler == .invalid(message))
    }

    @Test func grpcIsParsed() throws {
        let p = try #require(Self.parse(.liveness, ["grpc": ["port": 9090, "service": "db"]]))
        #expect(p.handler == .grpc(port: 9090, service: "db"))
    }
}
