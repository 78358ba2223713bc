import SkiffModel

/// `metrics.k8s.io/v1beta1` (what metrics-server serves, and `kubectl top` reads): NodeMetrics
/// and PodMetrics made on request from each node agent's `/stats/summary`, whose CPU rates the
/// agent keeps over its 10 s samples. Nodes and Pods without a CPU rate yet are left out, as
/// metrics-server leaves them out; a named one without metrics is 404 NotFound.
extension APIServer {
    static let metricsWindow = "10s"

    func metrics(_ c: inout RequestContext) async throws -> Response {
        guard c.info.verb == "get" || c.info.verb == "list" else {
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                           details: .init())
        }
        let opts = try c.listOptions()
        let nodesType = registry.lookup(GroupResource(group: "", resource: "nodes"))!
        if c.type.plural == "nodes" {
            let names = c.info.name.isEmpty ? nil : [c.info.name]
            let nodes = try await objects(of: nodesType, namespace: "", names: names).filter { opts.labelSelector?.matches($0.labels) ?? true }
            let summaries = await summaries(of: nodes.map(\.name))
            let items = nodes.compactMap { node in summaries[node.name].flatMap { Self.nodeMetrics(node.object, $0) } }
            return try metricsResponse(c, items, kind: "NodeMetrics", resource: "nodemetrics")
        }
        let podsType = registry.lookup(GroupResource(group: "", resource: "pods"))!
        let names = c.info.name.isEmpty ? nil : [c.info.name]
        let pods = try await objects(of: podsType, namespace: c.namespace ?? "", names: names)
            .filter { opts.labelSelector?.matches($0.labels) ?? true }.map(\.object)
        let nodeNames = Set(pods.compactMap { $0["spec", "nodeName"]?.string }.filter { !$0.isEmpty })
        let summaries = await summaries(of: Array(nodeNames))
        var stats: [String: JSON] = [:]  // by Pod UID
        for summary in summaries.values {
            for p in summary["pods"]?.array ?? [] { if let uid = p["podRef", "uid"]?.string { stats[uid] = p } }
        }
        let items = pods.compactMap { pod in (pod["metadata", "uid"]?.string).flatMap { stats[$0] }.flatMap { Self.podMetrics(pod, $0) } }
        return try metricsResponse(c, items, kind: "PodMetrics", resource: "podmetrics")
    }

    /// The named objects (all when `names` is nil) of `type` in `namespace`, from the watch cache.
    func objects(of type: ResourceType, namespace: String, names: [String]?) async throws -> [CachedObject] {
        await store.sync()
        let all = await store.cache.list(resourcePrefix: type.keyPrefix, keyPrefix: type.key(namespace: namespace, name: nil)).items
        guard let names else { return all }
        return all.filter { names.contains($0.name) }
    }

    /// Each node's `/stats/summary`, fetched at once; a node that does not answer is left out.
    func summaries(of nodes: [String]) async -> [String: JSON] {
        await withTaskGroup(of: (String, JSON?).self) { group in
            for node in nodes {
                group.addTask {
                    guard let exchange = try? await self.kubelet(nodeName: node, method: "GET", target: "/stats/summary?only_cpu_and_memory=true",
                                                                 headers: .init()),
                          exchange.head.status == 200 else { return (node, nil) }
                    return (node, try? JSON.parse(Array(await Self.collect(exchange, limit: 16 << 20).utf8)))
                }
            }
            var out: [String: JSON] = [:]
            for await (node, summary) in group { if let summary { out[node] = summary } }
            return out
        }
    }

    func metricsResponse(_ c: RequestContext, _ items: [JSON], kind: String, resource: String) throws -> Response {
        let apiVersion: JSON = "metrics.k8s.io/v1beta1"
        if !c.info.name.isEmpty {
            guard var item = items.first else {
                let name = (c.namespace ?? "").isEmpty ? c.info.name : "\(c.namespace ?? "")/\(c.info.name)"
                throw APIError.notFound(GroupResource(group: "metrics.k8s.io", resource: resource), name)
            }
            item["kind"] = .string(kind)
            item["apiVersion"] = apiVersion
            return .json(item)
        }
        return .json(["kind": .string(kind + "List"), "apiVersion": apiVersion, "metadata": [:], "items": .array(items)])
    }

    /// `usage` as metrics-server writes it: cpu in nanocores, memory (the working set) in Ki.
    static func usage(_ stats: JSON) -> JSON? {
        guard let cpu = stats["cpu", "usageNanoCores"]?.int, let memory = stats["memory", "workingSetBytes"]?.int else { return nil }
        return ["cpu": .string("\(cpu)n"), "memory": .string("\(memory / 1024)Ki")]
    }

    static func metricsMeta(_ object: JSON) -> JSON {
        var meta: JSON = ["name": object["metadata", "name"] ?? "", "creationTimestamp": .string(Timestamp.format(Timestamp.now()))]
        if let ns = object["metadata", "namespace"] { meta["namespace"] = ns }
        if let labels = object["metadata", "labels"] { meta["labels"] = labels }
        return meta
    }

    static func nodeMetrics(_ node: JSON, _ summary: JSON) -> JSON? {
        guard let stats = summary["node"], let usage = usage(stats) else { return nil }
        return ["metadata": metricsMeta(node), "timestamp": stats["cpu", "time"] ?? .string(Timestamp.format(Timestamp.now())),
                "window": .string(metricsWindow), "usage": usage]
    }

    /// A Pod's metrics, or nil unless every container it reports has a CPU rate and memory.
    static func podMetrics(_ pod: JSON, _ stats: JSON) -> JSON? {
        var containers: [JSON] = []
        for container in stats["containers"]?.array ?? [] {
            guard let usage = usage(container) else { return nil }
            containers.append(["name": container["name"] ?? "", "usage": usage])
        }
        guard !containers.isEmpty else { return nil }
        let time = stats["containers"]?.array?.first?["cpu", "time"] ?? .string(Timestamp.format(Timestamp.now()))
        return ["metadata": metricsMeta(pod), "timestamp": time, "window": .string(metricsWindow), "containers": .array(containers)]
    }
}
