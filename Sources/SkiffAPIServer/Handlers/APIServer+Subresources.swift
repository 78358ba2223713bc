import SkiffModel

extension APIServer {
    /// `scale` (autoscaling/v1 Scale) for Deployments, ReplicaSets and StatefulSets: reads and
    /// writes `spec.replicas` of the object.
    func scale(_ c: inout RequestContext) async throws -> Response {
        guard c.type.subresources.contains("scale") else { throw APIError.pathNotFound() }
        let scaleKind = GroupResource(group: "autoscaling", resource: "scale")
        if c.info.verb == "get" {
            return .json(Self.toScale(try await store.get(c.type, namespace: c.namespace, name: c.info.name).object))
        }
        let raw = c.request.body
        let isPatch = c.info.verb == "patch"
        let body = isPatch ? [:] : try c.rawBody()
        let patchType = c.request.contentType
        let scaleType = ResourceType(group: "autoscaling", version: "v1", kind: "Scale", plural: "scale")
        let context = c
        let result = try await store.guaranteedUpdate(c.type, namespace: c.namespace, name: c.info.name, dryRun: c.dryRun) { current throws(APIError) in
            let desired = isPatch ? try Patching.apply(raw, contentType: patchType, to: Self.toScale(current), kind: scaleType) : body
            if let rv = desired["metadata", "resourceVersion"]?.string, !rv.isEmpty, rv != current["metadata", "resourceVersion"]?.string {
                throw .conflict(scaleKind, context.info.name, APIError.optimisticLockMessage)
            }
            guard let replicas = desired["spec", "replicas"]?.int else {
                throw .invalid(kind: "Scale", group: "autoscaling", name: context.info.name, [.required("spec.replicas")])
            }
            if replicas < 0 {
                throw .invalid(kind: "Scale", group: "autoscaling", name: context.info.name,
                               [.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0")])
            }
            var updated = current
            updated["spec", "replicas"] = .int(replicas)
            return updated
        }
        return .json(Self.toScale(result))
    }

    /// `pods/binding`: assigns a Pod to a node, once.
    func bind(_ c: inout RequestContext) async throws -> Response {
        let body = try c.rawBody()
        guard let node = body["target", "name"]?.string, !node.isEmpty else {
            throw APIError.invalid(kind: "Binding", name: c.info.name, [.required("target.name")])
        }
        let name = c.info.name
        let groupResource = c.type.groupResource
        _ = try await store.guaranteedUpdate(c.type, namespace: c.namespace, name: name, dryRun: c.dryRun) { pod throws(APIError) in
            if let existing = pod["spec", "nodeName"]?.string, !existing.isEmpty {
                throw .conflict(groupResource, name, "pod \(name) is already assigned to node \"\(existing)\"")
            }
            if pod["metadata", "deletionTimestamp"] != nil {
                throw .conflict(groupResource, name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            var bound = pod
            bound["spec", "nodeName"] = .string(node)
            var conditions = bound["status", "conditions"]?.array ?? []
            conditions.removeAll { $0["type"] == "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            bound["status", "conditions"] = .array(conditions)
            return bound
        } target: { .subresource }
        return .json(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: .created)
    }

    /// The autoscaling/v1 Scale of a workload.
    static func toScale(_ o: JSON) -> JSON {
        var meta: JSON = [:]
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { meta[k] = o["metadata", k] }
        let selector = LabelSelector.from(o["spec", "selector"] ?? .null).map { $0.description }.get(or: "")
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
                "spec": ["replicas": o["spec", "replicas"] ?? 0],
                "status": ["replicas": o["status", "replicas"] ?? 0, "selector": .string(selector)]]
    }
}
