import Logging
import SkiffClient
import SkiffModel

/// Keeps the EndpointSlices of each Service with a selector (kube-controller-manager's
/// endpointslice controller).
///
/// Each selected Pod with an IP that is not terminal is an endpoint: its address, conditions
/// `ready` (Ready and not terminating, or `publishNotReadyAddresses`), `serving` (Ready) and
/// `terminating` (being deleted), `nodeName`, `zone` from the node's
/// `topology.kubernetes.io/zone`, `hostname` when the Pod's subdomain is the Service, and a
/// `targetRef`. Endpoints are grouped by the ports they serve (named `targetPort`s resolved per
/// Pod) and cut into slices of at most `maxEndpointsPerSlice`, named `<service>-<random>`,
/// labelled `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
/// endpointslice-controller.k8s.io` (plus the Service's labels), owned by the Service. A
/// Service selecting nothing keeps one empty placeholder slice. Existing slices are reused
/// (updated only when they differ); extra ones deleted.
public struct EndpointSliceController: Sendable {
    public struct Configuration: Sendable {
        /// Services reconciled at once. Default 5 (`--concurrent-service-endpoint-syncs`).
        public var workers = 5
        /// Default 100 (`--max-endpoints-per-slice`).
        public var maxEndpointsPerSlice = 100

        public init() {}
    }

    static let managedBy = "endpointslice-controller.k8s.io"

    public let configuration: Configuration
    let client: Client
    let services: Lister
    let pods: Lister
    let nodes: Lister
    let slices: Lister
    let synced: [Informer]
    let queue: WorkQueue<String>
    let logger: Logger

    public init(configuration: Configuration = .init(), client: Client, informers: SharedInformers,
                clock: any TimeSource = SystemTimeSource(), logger: Logger) {
        self.configuration = configuration
        self.client = client
        let serviceInformer = informers.informer(for: .services)
        let podInformer = informers.informer(for: .pods)
        let nodeInformer = informers.informer(for: .nodes)
        let sliceInformer = informers.informer(for: .endpointSlices)
        services = serviceInformer.lister
        pods = podInformer.lister
        nodes = nodeInformer.lister
        slices = sliceInformer.lister
        synced = [serviceInformer, podInformer, nodeInformer, sliceInformer]
        queue = WorkQueue<String>(name: "endpoint_slice", clock: clock)
        var logger = logger
        logger[metadataKey: "controller"] = "endpointslice"
        self.logger = logger
        let handlers = ServicePods.handlers(services: services, queue: queue)
        podInformer.addEventHandler(handlers.pods)
        serviceInformer.addEventHandler(handlers.services)
        let queue = queue
        let sliceChanged: @Sendable (JSON) async -> Void = { slice in
            guard slice.objectLabels["endpointslice.kubernetes.io/managed-by"] == Self.managedBy,
                  let service = slice.objectLabels["kubernetes.io/service-name"] else { return }
            await queue.add(slice.objectNamespace + "/" + service)
        }
        sliceInformer.addEventHandler(EventHandler(onUpdate: { await sliceChanged($1) }, onDelete: { await sliceChanged($0) }))
    }

    public func run() async throws {
        try await ControllerRunner(name: "endpointslice", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    /// The slices this controller manages for the Service `name`.
    func owned(namespace: String, service name: String) -> [JSON] {
        slices.list(namespace: namespace, selector: LabelSelector(equalTo: ["kubernetes.io/service-name": name,
                                                                             "endpointslice.kubernetes.io/managed-by": Self.managedBy]))
            .sorted { $0.objectName < $1.objectName }
    }

    /// One pass over the Service at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        let (ns, name) = ObjectKey.split(key)
        let namespace = ns ?? ""
        let existing = owned(namespace: namespace, service: name)
        guard let service = services.get(key: key), let selector = ServicePods.selector(service) else {
            // Deleted Services' slices go with their owner (garbage collector); a selector removed: delete ours.
            if services.get(key: key) != nil {
                for slice in existing { try await delete(slice) }
            }
            return
        }
        // ExternalName Services get no endpoints from this controller (kubernetes#105986).
        if service["spec", "type"]?.string == "ExternalName" { return }
        let selected = pods.list(namespace: namespace, selector: LabelSelector(equalTo: selector))
        let desired = Self.desiredSlices(service: service, pods: selected, nodes: nodes, max: configuration.maxEndpointsPerSlice)
        var labels = service.objectLabels
        labels["kubernetes.io/service-name"] = name
        labels["endpointslice.kubernetes.io/managed-by"] = Self.managedBy
        if service["spec", "clusterIP"]?.string == "None" { labels["service.kubernetes.io/headless"] = "" }
        var reusable = existing
        for d in desired {
            // Prefer a slice that already has these ports.
            let index = reusable.firstIndex { ($0["ports"] ?? .array([])) == d.ports } ?? reusable.indices.first
            if let index {
                var slice = reusable.remove(at: index)
                if slice["endpoints"] ?? .array([]) == d.endpoints && (slice["ports"] ?? .array([])) == d.ports && slice.objectLabels == labels
                    && slice["addressType"]?.string == "IPv4" { continue }
                slice["endpoints"] = d.endpoints
                slice["ports"] = d.ports == .array([]) ? nil : d.ports
                slice["addressType"] = "IPv4"
                slice["metadata", "labels"] = JSON(labels)
                _ = try await client.update(.endpointSlices, slice)
            } else {
                var slice: JSON = ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                                   "metadata": ["generateName": .string(name + "-"), "namespace": .string(namespace), "labels": JSON(labels),
                                                "ownerReferences": [JSON.controllerReference(to: service, apiVersion: "v1", kind: "Service")]],
                                   "addressType": "IPv4", "endpoints": d.endpoints]
                if d.ports != .array([]) { slice["ports"] = d.ports }
                _ = try await client.create(.endpointSlices, namespace: namespace, slice)
            }
        }
        for slice in reusable { try await delete(slice) }
    }

    func delete(_ slice: JSON) async throws {
        do {
            _ = try await client.delete(.endpointSlices, namespace: slice.objectNamespace, name: slice.objectName)
        } catch let e as APIError where e.isNotFound {}
    }

    /// The slices' contents: endpoints (sorted by address) and ports per port set, at most
    /// `max` endpoints each; one empty placeholder when there are none.
    static func desiredSlices(service: JSON, pods: [JSON], nodes: Lister, max: Int) -> [(ports: JSON, endpoints: JSON)] {
        let publishNotReady = service["spec", "publishNotReadyAddresses"]?.bool ?? false
        let servicePorts = service["spec", "ports"]?.array ?? []
        var groups: [String: (ports: [JSON], endpoints: [JSON])] = [:]
        for pod in pods {
            guard ServicePods.shouldBeInEndpoints(pod, includeTerminating: true), let ip = ServicePods.podIP(pod) else { continue }
            let serving = PodState.isReady(pod)
            let terminating = pod.isBeingDeleted
            let ready = publishNotReady || (serving && !terminating)
            var endpoint: JSON = ["addresses": [.string(ip)],
                                  "conditions": ["ready": .bool(ready), "serving": .bool(serving), "terminating": .bool(terminating)],
                                  "targetRef": ServicePods.targetRef(pod)]
            if let node = pod["spec", "nodeName"]?.string {
                endpoint["nodeName"] = .string(node)
                if let zone = nodes.get(name: node)?.objectLabels["topology.kubernetes.io/zone"] { endpoint["zone"] = .string(zone) }
            }
            if let h = ServicePods.hostname(pod, service) { endpoint["hostname"] = .string(h) }
            var ports: [JSON] = []
            for sp in servicePorts {
                guard let number = ServicePods.findPort(pod, sp) else { continue }
                var p: JSON = ["name": .string(sp["name"]?.string ?? ""), "port": .int(number), "protocol": sp["protocol"] ?? "TCP"]
                if let a = sp["appProtocol"] { p["appProtocol"] = a }
                ports.append(p)
            }
            let key = ports.map { "\($0["name"]?.string ?? "")/\($0["port"]?.int ?? 0)/\($0["protocol"]?.string ?? "")" }.joined(separator: ",")
            var group = groups[key] ?? (ports, [])
            group.endpoints.append(endpoint)
            groups[key] = group
        }
        var result: [(ports: JSON, endpoints: JSON)] = []
        for key in groups.keys.sorted() {
            let g = groups[key]!
            let sorted = g.endpoints.sorted { ($0["addresses"]?.array?.first?.string ?? "") < ($1["addresses"]?.array?.first?.string ?? "") }
            var start = 0
            while start < sorted.count {
                result.append((.array(g.ports), .array(Array(sorted[start..<min(start + max, sorted.count)]))))
                start += max
            }
        }
        if result.isEmpty { result.append((.array([]), .array([]))) }
        return result
    }
}
