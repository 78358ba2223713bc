import SkiffModel

/// The result-keeping of one probe for one run of a container, as the kubelet's probe worker
/// keeps it: consecutive equal results count up, and the published result changes only when
/// `successThreshold` successes or `failureThreshold` failures were seen in a row. A failed
/// liveness or startup probe goes on hold (no more probing) until the container runs again:
/// the owner kills it.
///
/// Pure: the owner runs the probe at `nextRun` and reports the result with `record`.
public struct ProbeTracker: Sendable, Hashable {
    /// What a recorded result changes.
    public enum Change: Sendable, Hashable {
        /// Nothing published changed.
        case none
        /// The published result became success (true) or failure (false).
        case result(Bool)
        /// A liveness or startup probe reached its failure threshold: the container must be killed.
        case kill
    }

    public let probe: Probe
    /// The published result: readiness starts failed, liveness succeeded, startup unknown (nil).
    public private(set) var result: Bool?
    /// No more probing in this run of the container.
    public private(set) var onHold = false
    /// The last run's result and how many runs in a row had it.
    private var last: Bool?
    private var streak = 0
    private var lastRun: Double?

    public init(_ probe: Probe) {
        self.probe = probe
        result = switch probe.kind {
        case .readiness: false
        case .liveness: true
        case .startup: nil
        }
    }

    /// When the probe runs next for a container that started at `startedAt`: after the initial
    /// delay, then every period.
    public func nextRun(startedAt: Double) -> Double {
        let first = startedAt + probe.timing.initialDelaySeconds
        guard let lastRun else { return first }
        return max(first, lastRun + probe.timing.periodSeconds)
    }

    /// Records the result of a run that began at `now`.
    public mutating func record(success: Bool, at now: Double) -> Change {
        lastRun = now
        guard !onHold else { return .none }
        if last == success {
            streak += 1
        } else {
            last = success
            streak = 1
        }
        let threshold = success ? probe.timing.successThreshold : probe.timing.failureThreshold
        guard streak >= threshold, result != success else { return .none }
        result = success
        if !success && probe.kind != .readiness {
            onHold = true
            streak = 0
            return .kill
        }
        return .result(success)
    }
}

/// The probes of one run of a container and what they make of it: `started` (the startup
/// probe succeeded, or there is none) and `ready` (started and the readiness probe succeeded,
/// or there is none). The startup probe runs only until it succeeds; liveness and readiness
/// run only after that.
public struct ContainerProbes: Sendable, Hashable {
    public private(set) var trackers: [Probe.Kind: ProbeTracker] = [:]

    public init(_ probes: [Probe]) {
        for p in probes { trackers[p.kind] = ProbeTracker(p) }
    }

    /// The container's probes of its spec.
    public init(container c: JSON) {
        self.init(Probe.Kind.allCases.compactMap { Probe.of(container: c, kind: $0) })
    }

    public var isEmpty: Bool { trackers.isEmpty }
    public var started: Bool { trackers[.startup].map { $0.result == true } ?? true }
    public var ready: Bool { started && (trackers[.readiness].map { $0.result == true } ?? true) }

    /// Whether the probe of `kind` runs now (it exists, is not on hold, and the startup gate allows).
    public func shouldRun(_ kind: Probe.Kind) -> Bool {
        guard let t = trackers[kind], !t.onHold else { return false }
        return kind == .startup ? !started : started
    }

    public func nextRun(_ kind: Probe.Kind, startedAt: Double) -> Double? {
        trackers[kind]?.nextRun(startedAt: startedAt)
    }

    public mutating func record(_ kind: Probe.Kind, success: Bool, at now: Double) -> ProbeTracker.Change {
        trackers[kind]?.record(success: success, at: now) ?? .none
    }
}
