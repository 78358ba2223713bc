import Logging
import SkiffClient
import SkiffModel

/// Keeps an Endpoints object per Service with a selector (kube-controller-manager's endpoints
/// controller).
///
/// `reconcile(key)`: the Service gone → its Endpoints deleted; no selector → left alone.
/// Otherwise each selected Pod with an IP (not terminal, not being deleted unless
/// `publishNotReadyAddresses`) is an address — under `addresses` when Ready (or
/// `publishNotReadyAddresses`), else `notReadyAddresses` — with `nodeName`, `targetRef`, and
/// `hostname` when the Pod's subdomain is the Service; once per Service port whose
/// `targetPort` the Pod has (named ports resolved from its containers). Addresses with the same
/// ports are packed into one subset (`RepackSubsets`). The Endpoints carries the Service's
/// labels (plus `service.kubernetes.io/headless` for a headless Service), holds at most 1,000
/// addresses (`EndpointsTruncation`), and is written only when it differs.
public struct EndpointsController: Sendable {
    public struct Configuration: Sendable {
        /// Services reconciled at once. Default 5 (`--concurrent-endpoint-syncs`).
        public var workers = 5

        public init() {}
    }

    public let configuration: Configuration
    let client: Client
    let services: Lister
    let pods: Lister
    let endpoints: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers,
                clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        self.configuration = configuration
        self.client = client
        let serviceInformer = informers.informer(for: .services)
        let podInformer = informers.informer(for: .pods)
        let endpointsInformer = informers.informer(for: .endpoints)
        services = serviceInformer.lister
        pods = podInformer.lister
        endpoints = endpointsInformer.lister
        synced = [serviceInformer, podInformer, endpointsInformer]
        queue = WorkQueue<String>(name: "endpoint", clock: clock)
        var logger = logger
        logger[metadataKey: "controller"] = "endpoints"
        self.logger = logger
        let handlers = ServicePods.handlers(services: services, queue: queue)
        podInformer.addEventHandler(handlers.pods)
        serviceInformer.addEventHandler(handlers.services)
        let queue = queue
        endpointsInformer.addEventHandler(EventHandler(onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                                                       onDelete: { await queue.add(ObjectKey.of($0)) }))
    }

    public func run() async throws {
        try await ControllerRunner(name: "endpoint", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// One pass over the Service at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        let (ns, name) = ObjectKey.split(key)
        let namespace = ns ?? ""
        guard let service = services.get(key: key) else {
            guard endpoints.get(key: key) != nil else { return }
            do {
                _ = try await client.delete(.endpoints, namespace: namespace, name: name)
            } catch let e as APIError where e.isNotFound {}
            return
        }
        guard let selector = ServicePods.selector(service) else { return }
        var desired = Self.subsets(service: service, pods: pods.list(namespace: namespace, selector: LabelSelector(equalTo: selector)))
        let truncated = EndpointsTruncation.truncate(&desired)
        var labels = service.objectLabels
        if service["spec", "clusterIP"]?.string == "None" { labels["service.kubernetes.io/headless"] = "" }
        let current = endpoints.get(key: key)
        var annotations = current?.objectAnnotations ?? [:]
        annotations[EndpointsTruncation.annotation] = truncated ? "truncated" : nil
        let subsetsJSON: JSON? = desired.isEmpty ? nil : .array(desired)
        if let current, (current["subsets"] ?? .array([])) == (subsetsJSON ?? .array([])), current.objectLabels == labels,
           current.objectAnnotations == annotations { return }
        var object: JSON = current ?? ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": .string(name), "namespace": .string(namespace)]]
        object["metadata", "labels"] = labels.isEmpty ? nil : JSON(labels)
        object["metadata", "annotations"] = annotations.isEmpty ? nil : JSON(annotations)
        object["subsets"] = subsetsJSON
        if current == nil {
            _ = try await client.create(.endpoints, namespace: namespace, object)
        } else {
            _ = try await client.update(.endpoints, object)
        }
    }

    /// The subsets of `service` over `pods` (see the type's documentation).
    static func subsets(service: JSON, pods: [JSON]) -> [JSON] {
        let publishNotReady = service["spec", "publishNotReadyAddresses"]?.bool ?? false
        let ports = service["spec", "ports"]?.array ?? []
        let headless = service["spec", "clusterIP"]?.string == "None"
        // ports key -> (ports, ready, notReady)
        var groups: [String: (ports: [JSON], ready: [JSON], notReady: [JSON])] = [:]
        for pod in pods {
            guard ServicePods.shouldBeInEndpoints(pod, includeTerminating: publishNotReady), let ip = ServicePods.podIP(pod) else { continue }
            var address: JSON = ["ip": .string(ip), "targetRef": ServicePods.targetRef(pod)]
            if let node = pod["spec", "nodeName"]?.string { address["nodeName"] = .string(node) }
            if let h = ServicePods.hostname(pod, service) { address["hostname"] = .string(h) }
            var podPorts: [JSON] = []
            for sp in ports {
                guard let number = ServicePods.findPort(pod, sp) else { continue }
                var p: JSON = ["port": .int(number), "protocol": sp["protocol"] ?? "TCP"]
                if let n = sp["name"]?.string, !n.isEmpty { p["name"] = .string(n) }
                if let a = sp["appProtocol"] { p["appProtocol"] = a }
                podPorts.append(p)
            }
            if ports.isEmpty && !headless { continue }
            if !ports.isEmpty && podPorts.isEmpty { continue }
            podPorts.sort { ($0["name"]?.string ?? "", $0["port"]?.int ?? 0) < ($1["name"]?.string ?? "", $1["port"]?.int ?? 0) }
            let key = podPorts.map { "\($0["name"]?.string ?? "")/\($0["port"]?.int ?? 0)/\($0["protocol"]?.string ?? "")" }.joined(separator: ",")
            var group = groups[key] ?? (podPorts, [], [])
            if publishNotReady || PodState.isReady(pod) { group.ready.append(address) } else { group.notReady.append(address) }
            groups[key] = group
        }
        func byIP(_ a: JSON, _ b: JSON) -> Bool {
            (a["ip"]?.string ?? "", a["targetRef", "name"]?.string ?? "") < (b["ip"]?.string ?? "", b["targetRef", "name"]?.string ?? "")
        }
        return groups.keys.sorted().map { key in
            let g = groups[key]!
            var subset: JSON = [:]
            if !g.ready.isEmpty { subset["addresses"] = .array(g.ready.sorted(by: byIP)) }
            if !g.notReady.isEmpty { subset["notReadyAddresses"] = .array(g.notReady.sorted(by: byIP)) }
            if !g.ports.isEmpty { subset["ports"] = .array(g.ports) }
            return subset
        }
    }
}
