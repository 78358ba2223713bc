import Logging
import SkiffModel
import Synchronization

/// Leader election on a `coordination.k8s.io/v1` Lease (client-go's `leaderelection` with a
/// `LeaseLock`): of all electors sharing a lease, at most one leads at a time, as long as clocks
/// advance at similar rates.
///
/// - Acquire: every `retryPeriod` (plus up to 20 % jitter) read the lease; take it if it does not
///   exist, has no holder (it was released), or its record has not changed for `leaseDuration` as
///   measured on this elector's clock since it first saw that record. Writes carry the read
///   resourceVersion, so of two electors racing only one succeeds.
/// - Renew: while leading, write the lease every `retryPeriod`; if no renewal succeeds for
///   `renewDeadline`, leadership is lost: the leading work is cancelled.
/// - Release: when `run` is cancelled or the work returns, a leader clears the holder (lease
///   duration 1 s) so that another elector can take over at its next retry.
///
/// `renewDeadline` must be shorter than `leaseDuration`, so that a leader that cannot renew stops
/// before another elector may take over.
///
/// ```swift
/// let elector = LeaderElector(client: client, configuration: .init(namespace: "kube-system",
///                             name: "skiff-controller-manager", identity: hostname), logger: logger)
/// try await elector.run { try await controllers.run() }
/// ```
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var namespace: String
        public var name: String
        /// This elector's identity, unique among the electors of the lease (host name plus a UUID).
        public var identity: String
        /// How long others wait, after last seeing the record change, before taking the lease. Default 15 s.
        public var leaseDuration: Duration = .seconds(15)
        /// How long a leader keeps trying to renew before giving up leadership. Default 10 s.
        public var renewDeadline: Duration = .seconds(10)
        /// How often to try acquiring or renewing. Default 2 s.
        public var retryPeriod: Duration = .seconds(2)
        /// Clear the holder when `run` ends, so another elector need not wait out the lease. Default true.
        public var releaseOnCancel = true

        public init(namespace: String, name: String, identity: String) {
            self.namespace = namespace
            self.name = name
            self.identity = identity
        }
    }

    struct State {
        var observed: LeaderElectionRecord?
        var observedTime: Duration = .zero
        var isLeader = false
    }

    public let configuration: Configuration
    let client: Client
    let clock: any TimeSource
    let logger: Logger
    let state = Mutex(State())

    public init(client: Client, configuration: Configuration, clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        precondition(configuration.renewDeadline < configuration.leaseDuration, "renewDeadline must be shorter than leaseDuration")
        self.client = client
        self.configuration = configuration
        self.clock = clock
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.name)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
    }

    /// Whether this elector holds the lease now.
    public var isLeader: Bool { state.withLock { $0.isLeader } }

    /// The holder this elector last observed (empty if none).
    public var observedLeader: String { state.withLock { $0.observed?.holderIdentity ?? "" } }

    /// Waits to acquire the lease, then runs `onStartedLeading` while renewing it.
    ///
    /// Returns when the task is cancelled before leading; once leading, returns when the work
    /// returns, when leadership is lost (the work is cancelled first), or when the task is
    /// cancelled, each time after releasing the lease (unless it was lost or `releaseOnCancel` is
    /// false) and calling `onStoppedLeading`. Rethrows the work's error other than cancellation.
    /// `onNewLeader` is called whenever the observed holder changes to a new, non-empty identity.
    public func run(onStartedLeading: @escaping @Sendable () async throws -> Void,
                    onStoppedLeading: @escaping @Sendable () async -> Void = {},
                    onNewLeader: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        guard await acquire(onNewLeader: onNewLeader) else { return }
        logger.info("acquired lease")
        enum Outcome: Sendable { case workEnded((any Error)?), lost }
        let outcome: Outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do { try await onStartedLeading(); return .workEnded(nil) } catch { return .workEnded(error) }
            }
            group.addTask {
                await self.renew(onNewLeader: onNewLeader)
                return .lost
            }
            let first = await group.next() ?? .lost
            group.cancelAll()
            await group.waitForAll()
            return first
        }
        state.withLock { $0.isLeader = false }
        if case .lost = outcome, !Task.isCancelled {
            logger.warning("lost lease")
        } else if configuration.releaseOnCancel {
            // A new task, awaited at once: the release must go out although this task may be cancelled.
            await Task { await self.release() }.value
        }
        await onStoppedLeading()
        if case .workEnded(let error?) = outcome, !(error is CancellationError) { throw error }
    }

    /// Tries every retry period until the lease is ours (true) or the task is cancelled (false).
    func acquire(onNewLeader: @Sendable (String) async -> Void) async -> Bool {
        while !Task.isCancelled {
            if await tryAcquireOrRenew(onNewLeader: onNewLeader) {
                state.withLock { $0.isLeader = true }
                return true
            }
            let jitter = configuration.retryPeriod * Double.random(in: 0..<0.2)
            do { try await clock.sleep(for: configuration.retryPeriod + jitter) } catch { return false }
        }
        return false
    }

    /// Renews every retry period; returns when no renewal succeeded for the renew deadline, or on cancellation.
    func renew(onNewLeader: @Sendable (String) async -> Void) async {
        var lastRenewal = clock.now()
        while !Task.isCancelled {
            do { try await clock.sleep(for: configuration.retryPeriod) } catch { return }
            if await tryAcquireOrRenew(onNewLeader: onNewLeader) {
                lastRenewal = clock.now()
            } else if clock.now() - lastRenewal >= configuration.renewDeadline {
                return
            }
        }
    }
}
