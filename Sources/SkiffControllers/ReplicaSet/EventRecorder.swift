import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Records core/v1 Events about objects, as client-go's event recorder and broadcaster do:
/// `event(...)` never blocks the caller; `run()` writes the events in the background.
///
/// - Spam filter (client-go's `EventSourceObjectSpamFilter`): each involved object may produce a
///   burst of 25 events, then one per 5 minutes; the rest are dropped.
/// - Correlation: an event identical to one recorded before (same object, type, reason and
///   message) increments that Event's `count` and `lastTimestamp` instead of adding an Event.
/// - At most 1,000 events wait to be written; beyond that the oldest are dropped.
///
/// ```swift
/// let events = EventRecorder(client: client, component: "replicaset-controller", logger: logger)
/// group.addTask { await events.run() }
/// events.event(rs, reason: "SuccessfulCreate", message: "Created pod: web-7d4b9-x2x8q")
/// ```
public final class EventRecorder: Sendable {
    public enum EventType: String, Sendable {
        case normal = "Normal", warning = "Warning"
    }

    struct Pending: Sendable {
        var involved: JSON
        var type: EventType
        var reason: String
        var message: String
        var time: Double
    }

    struct State {
        /// involved object -> (tokens, when last refilled)
        var buckets: [String: (tokens: Double, at: Duration)] = [:]
        /// correlation key -> (namespace, name, count) of the Event written for it
        var written: [String: (namespace: String, name: String, count: Int64)] = [:]
    }

    static let burst = 25.0
    static let refillSeconds = 300.0

    public let component: String
    let client: Client
    let clock: any TimeSource
    let logger: Logger
    let state = Mutex(State())
    let stream: AsyncStream<Pending>
    let continuation: AsyncStream<Pending>.Continuation

    public init(client: Client, component: String, clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        self.client = client
        self.component = component
        self.clock = clock
        self.logger = logger
        (stream, continuation) = AsyncStream<Pending>.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    /// Records an event about `object` (a Pod, ReplicaSet, Deployment, ...). Returns at once.
    public func event(_ object: JSON, type: EventType = .normal, reason: String, message: String) {
        let key = object.objectUID.isEmpty ? ObjectKey.of(object) : object.objectUID
        let now = clock.now()
        let allowed = state.withLock { s in
            var bucket = s.buckets[key] ?? (Self.burst, now)
            let elapsed = now - bucket.at
            bucket.tokens = min(Self.burst, bucket.tokens + Double(elapsed.components.seconds) / Self.refillSeconds)
            bucket.at = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if s.buckets.count >= 10_000 { s.buckets = [:] }
            s.buckets[key] = bucket
            return allowed
        }
        guard allowed else { return }
        continuation.yield(Pending(involved: object, type: type, reason: reason, message: message, time: Timestamp.now()))
    }

    /// Writes recorded events until the task is cancelled. Failures are logged, not retried.
    public func run() async {
        await withTaskCancellationHandler {
            for await pending in stream {
                await write(pending)
            }
        } onCancel: {
            continuation.finish()
        }
    }

    func write(_ e: Pending) async {
        let namespace = e.involved.objectNamespace.isEmpty ? "default" : e.involved.objectNamespace
        let correlation = [e.involved.objectUID, ObjectKey.of(e.involved), e.type.rawValue, e.reason, e.message].joined(separator: "\u{0}")
        let timestamp = JSON.string(Timestamp.format(e.time))
        if let seen = state.withLock({ $0.written[correlation] }) {
            let count = seen.count + 1
            do {
                _ = try await client.patch(.events, namespace: seen.namespace, name: seen.name, type: .merge,
                                           ["count": .int(count), "lastTimestamp": timestamp])
                state.withLock { $0.written[correlation]?.count = count }
                return
            } catch {
                state.withLock { _ = $0.written.removeValue(forKey: correlation) }  // write a new one
            }
        }
        let name = "\(e.involved.objectName).\(String(UInt64(e.time * 1e9), radix: 16))"
        var involved: JSON = ["kind": e.involved["kind"] ?? "", "namespace": .string(e.involved.objectNamespace),
                              "name": .string(e.involved.objectName), "uid": .string(e.involved.objectUID),
                              "apiVersion": e.involved["apiVersion"] ?? "",
                              "resourceVersion": e.involved["metadata", "resourceVersion"] ?? ""]
        if e.involved.objectNamespace.isEmpty { involved["namespace"] = nil }
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": involved, "reason": .string(e.reason), "message": .string(e.message),
            "source": ["component": .string(component)], "firstTimestamp": timestamp, "lastTimestamp": timestamp,
            "count": 1, "type": .string(e.type.rawValue),
            "reportingComponent": .string(component), "reportingInstance": "",
        ]
        do {
            _ = try await client.create(.events, namespace: namespace, event)
            state.withLock { s in
                if s.written.count > 4096 { s.written = [:] }
                s.written[correlation] = (namespace, name, 1)
            }
        } catch {
            logger.debug("event not written", metadata: ["reason": "\(e.reason)", "error": "\(error)"])
        }
    }
}
