/// A monotonic clock with timed waits, injected wherever the client library waits on time (work
/// queue back-off, informer retries, leader election) so that tests control time instead of
/// sleeping.
///
/// Times are `Duration`s since an origin fixed by the source; only differences are meaningful.
public protocol TimeSource: Sendable {
    /// The time since this source's origin. Never decreases.
    func now() -> Duration

    /// Suspends until `now() >= deadline`; returns at once if it already is.
    /// Throws `CancellationError` if the calling task is cancelled first.
    func sleep(until deadline: Duration) async throws
}

extension TimeSource {
    /// Suspends for `duration` from now. Throws `CancellationError` if cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now() + duration)
    }
}

/// Real time: `ContinuousClock` (which keeps counting while the machine sleeps), measured from
/// one process-wide origin.
public struct SystemTimeSource: TimeSource {
    static let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { Self.origin.duration(to: .now) }

    public func sleep(until deadline: Duration) async throws {
        try await Task.sleep(until: Self.origin + deadline, clock: .continuous)
    }
}
