import Logging
import SkiffClient
import SkiffModel
import Synchronization

/// Writes the kubelet's core/v1 Events about Pods (source `kubelet` on this node) in the
/// background: `record` never blocks. A repeat of an Event (same object, field path, reason and
/// message) increments its `count` instead of adding another, as client-go's recorder does.
final class EventWriter: Sendable {
    struct Pending: Sendable {
        var pod: JSON
        var fieldPath: String?
        var warning: Bool
        var reason: String
        var message: String
        var time: Double
    }

    let client: Client
    let node: String
    let logger: Logger
    let stream: AsyncStream<Pending>
    let continuation: AsyncStream<Pending>.Continuation
    let written = Mutex<[String: (namespace: String, name: String, count: Int64)]>([:])

    init(client: Client, node: String, logger: Logger) {
        self.client = client
        self.node = node
        self.logger = logger
        (stream, continuation) = AsyncStream<Pending>.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    /// Records an Event about `pod`, or one of its containers when `container` is given.
    func record(_ pod: JSON, container: String? = nil, isInit: Bool = false, warning: Bool = false, reason: String, message: String) {
        let fieldPath = container.map { "spec.\(isInit ? "initContainers" : "containers"){\($0)}" }
        continuation.yield(Pending(pod: pod, fieldPath: fieldPath, warning: warning, reason: reason, message: message, time: Timestamp.now()))
    }

    /// Writes Events until cancelled.
    func run() async {
        await withTaskCancellationHandler {
            for await e in stream { await write(e) }
        } onCancel: {
            continuation.finish()
        }
    }

    func write(_ e: Pending) async {
        let namespace = e.pod["metadata", "namespace"]?.string ?? "default"
        let podName = e.pod["metadata", "name"]?.string ?? ""
        let uid = e.pod["metadata", "uid"]?.string ?? ""
        let key = [uid, e.fieldPath ?? "", e.reason, e.message].joined(separator: "\u{0}")
        let stamp = JSON.string(Timestamp.format(e.time))
        if let seen = written.withLock({ $0[key] }) {
            do {
                _ = try await client.patch(.events, namespace: seen.namespace, name: seen.name, type: .merge,
                                           ["count": .int(seen.count + 1), "lastTimestamp": stamp])
                written.withLock { $0[key]?.count = seen.count + 1 }
                return
            } catch {
                written.withLock { _ = $0.removeValue(forKey: key) }
            }
        }
        let name = "\(podName).\(String(UInt64(e.time * 1e9), radix: 16))"
        var involved: JSON = ["apiVersion": "v1", "kind": "Pod", "namespace": .string(namespace), "name": .string(podName),
                              "uid": .string(uid)]
        if let rv = e.pod["metadata", "resourceVersion"] { involved["resourceVersion"] = rv }
        if let f = e.fieldPath { involved["fieldPath"] = .string(f) }
        let event: JSON = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": involved, "reason": .string(e.reason), "message": .string(e.message),
            "source": ["component": "kubelet", "host": .string(node)],
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1,
            "type": .string(e.warning ? "Warning" : "Normal"),
            "reportingComponent": "kubelet", "reportingInstance": .string(node),
        ]
        do {
            _ = try await client.create(.events, namespace: namespace, event)
            written.withLock { w in
                if w.count > 4096 { w = [:] }
                w[key] = (namespace, name, 1)
            }
        } catch {
            logger.debug("event not written", metadata: ["reason": "\(e.reason)", "error": "\(error)"])
        }
    }
}
