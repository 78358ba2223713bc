import SkiffClient
import SkiffModel

/// What the Endpoints and EndpointSlice controllers share: which Pods back a Service, which of
/// its ports a Pod serves (`podutil.FindPort`), and the event handlers that turn Pod and
/// Service changes into Service keys.
enum ServicePods {
    /// The Service's `spec.selector`, nil when it has none (its endpoints are not managed).
    static func selector(_ service: JSON) -> [String: String]? {
        guard let map = service["spec", "selector"]?.stringMap, !map.isEmpty else { return nil }
        return map
    }

    /// Whether the Pod belongs in the Service's endpoints at all (`ShouldPodBeInEndpoints`):
    /// not terminal, has an IP, and not being deleted unless `includeTerminating`.
    static func shouldBeInEndpoints(_ pod: JSON, includeTerminating: Bool) -> Bool {
        let phase = pod["status", "phase"]?.string
        if phase == "Succeeded" || phase == "Failed" { return false }
        if podIP(pod) == nil { return false }
        if !includeTerminating && pod.isBeingDeleted { return false }
        return true
    }

    static func podIP(_ pod: JSON) -> String? {
        if let ip = pod["status", "podIP"]?.string, !ip.isEmpty { return ip }
        return pod["status", "podIPs"]?.array?.first?["ip"]?.string
    }

    /// The container port a Service port's `targetPort` names on `pod` (a number as is; a name
    /// looked up among the containers' ports of the same protocol); nil if the Pod has none.
    static func findPort(_ pod: JSON, _ servicePort: JSON) -> Int64? {
        let target = servicePort["targetPort"] ?? servicePort["port"] ?? .null
        if let n = target.int { return n }
        guard let name = target.string else { return servicePort["port"]?.int }
        if let n = Int64(name) { return n }
        let proto = servicePort["protocol"]?.string ?? "TCP"
        for container in pod["spec", "containers"]?.array ?? [] {
            for port in container["ports"]?.array ?? [] where port["name"]?.string == name && (port["protocol"]?.string ?? "TCP") == proto {
                return port["containerPort"]?.int
            }
        }
        return nil
    }

    /// The hostname the Pod has under the Service: `spec.hostname` when `spec.subdomain` is the
    /// Service's name (`ShouldSetHostname`).
    static func hostname(_ pod: JSON, _ service: JSON) -> String? {
        guard let h = pod["spec", "hostname"]?.string, !h.isEmpty, pod["spec", "subdomain"]?.string == service.objectName,
              pod.objectNamespace == service.objectNamespace else { return nil }
        return h
    }

    static func targetRef(_ pod: JSON) -> JSON {
        ["kind": "Pod", "namespace": .string(pod.objectNamespace), "name": .string(pod.objectName), "uid": .string(pod.objectUID)]
    }

    /// Handlers that queue the key of every Service (with a selector) a changed Pod matched
    /// before or after the change, and of every changed Service.
    static func handlers(services: Lister, queue: WorkQueue<String>) -> (pods: EventHandler, services: EventHandler) {
        @Sendable func enqueue(for pods: [JSON]) async {
            var keys = Set<String>()
            for pod in pods {
                for service in services.list(namespace: pod.objectNamespace) {
                    if let s = selector(service), LabelSelector(equalTo: s).matches(pod.objectLabels) { keys.insert(ObjectKey.of(service)) }
                }
            }
            for key in keys { await queue.add(key) }
        }
        let podHandler = EventHandler(onAdd: { await enqueue(for: [$0]) }, onUpdate: { await enqueue(for: [$0, $1]) },
                                      onDelete: { await enqueue(for: [$0]) })
        return (podHandler, .enqueue(into: queue))
    }
}
