import Logging
import SkiffClient
import SkiffModel

/// Writes core/v1 Events in the background, as client-go's event broadcaster does for
/// kube-scheduler: `record` never waits for the API, and a repeated event (same object, reason
/// and message) raises the first one's `count` and `lastTimestamp` instead of adding another.
///
/// When more than `capacity` events wait, new ones are dropped (and counted), so a slow API
/// server never slows scheduling. `run()` writes until its task is cancelled.
public actor EventRecorder {
    /// The object an event is about.
    public struct Reference: Sendable, Hashable {
        public var kind: String
        public var apiVersion: String
        public var namespace: String
        public var name: String
        public var uid: String
        public var resourceVersion: String

        public init(kind: String = "Pod", apiVersion: String = "v1", namespace: String, name: String, uid: String,
                    resourceVersion: String = "") {
            self.kind = kind
            self.apiVersion = apiVersion
            self.namespace = namespace
            self.name = name
            self.uid = uid
            self.resourceVersion = resourceVersion
        }

        public init(pod: PodInfo) {
            self.init(namespace: pod.namespace, name: pod.name, uid: pod.uid,
                      resourceVersion: pod.object["metadata", "resourceVersion"]?.string ?? "")
        }
    }

    public enum Kind: String, Sendable { case normal = "Normal", warning = "Warning" }

    struct Pending: Sendable {
        var ref: Reference
        var type: Kind
        var reason: String
        var action: String
        var message: String
        var count: Int64 = 1
        var key: String { ref.uid + "\u{0}" + reason + "\u{0}" + message }
    }

    struct Seen: Sendable {
        var name: String
        var count: Int64
    }

    let client: Client
    let component: String
    let capacity: Int
    let logger: Logger
    var pending: [Pending] = []
    var seen: [String: Seen] = [:]
    let wakeup = Wakeup()
    public private(set) var dropped = 0
    public private(set) var written = 0

    public init(client: Client, component: String = "default-scheduler", capacity: Int = 10_000, logger: Logger) {
        self.client = client
        self.component = component
        self.capacity = capacity
        self.logger = logger
    }

    /// Queues an event about `ref`. `action` is what the component was doing (`Scheduling`,
    /// `Binding`).
    public func record(_ ref: Reference, _ type: Kind, reason: String, action: String, message: String) {
        if pending.count >= capacity {
            dropped += 1
            return
        }
        pending.append(Pending(ref: ref, type: type, reason: reason, action: action, message: message))
        if pending.count == 1 { wakeup.signal() }
    }

    /// Writes queued events until cancelled, `parallel` requests at a time.
    public func run(parallel: Int = 8) async {
        while !Task.isCancelled {
            if pending.isEmpty {
                await wakeup.wait()
                continue
            }
            var batch: [Pending] = []
            var index: [String: Int] = [:]
            for p in pending {
                if let i = index[p.key] {
                    batch[i].count += 1
                    batch[i].ref = p.ref
                } else {
                    index[p.key] = batch.count
                    batch.append(p)
                }
            }
            pending.removeAll(keepingCapacity: true)
            let work = batch.map { ($0, seen[$0.key]) }
            let results = await withTaskGroup(of: (String, Seen?).self) { group in
                var out: [(String, Seen?)] = []
                var next = 0
                func start(_ group: inout TaskGroup<(String, Seen?)>) {
                    let (p, s) = work[next]
                    next += 1
                    group.addTask { [client, component, logger] in
                        (p.key, await Self.write(p, seen: s, client: client, component: component, logger: logger))
                    }
                }
                while next < min(parallel, work.count) { start(&group) }
                while let r = await group.next() {
                    out.append(r)
                    if next < work.count { start(&group) }
                }
                return out
            }
            if seen.count > 20_000 { seen.removeAll() }
            for (key, s) in results {
                seen[key] = s
                if s != nil { written += 1 }
            }
        }
    }

    static func write(_ p: Pending, seen: Seen?, client: Client, component: String, logger: Logger) async -> Seen? {
        let now = Timestamp.format(Timestamp.now())
        if let seen {
            let count = seen.count + p.count
            let patch: JSON = ["count": .int(count), "lastTimestamp": .string(now), "message": .string(p.message)]
            do {
                _ = try await client.patch(.events, namespace: p.ref.namespace, name: seen.name, type: .merge, patch)
                return Seen(name: seen.name, count: count)
            } catch let e as APIError where e.isNotFound {
                // Expired or deleted: write a new one below.
            } catch {
                logger.debug("event update failed", metadata: ["error": "\(error)", "reason": "\(p.reason)"])
                return nil
            }
        }
        let name = "\(p.ref.name).\(String(UInt64(Timestamp.now() * 1e9), radix: 16))"
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(p.ref.namespace)],
            "involvedObject": ["kind": .string(p.ref.kind), "apiVersion": .string(p.ref.apiVersion),
                               "namespace": .string(p.ref.namespace), "name": .string(p.ref.name),
                               "uid": .string(p.ref.uid), "resourceVersion": .string(p.ref.resourceVersion)],
            "reason": .string(p.reason), "message": .string(p.message), "type": .string(p.type.rawValue),
            "source": ["component": .string(component)],
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": .int(p.count),
            "reportingComponent": .string(component), "reportingInstance": .string(component),
            "action": .string(p.action),
        ]
        do {
            _ = try await client.create(.events, namespace: p.ref.namespace, event)
            return Seen(name: name, count: p.count)
        } catch {
            logger.debug("event write failed", metadata: ["error": "\(error)", "reason": "\(p.reason)"])
            return nil
        }
    }
}
