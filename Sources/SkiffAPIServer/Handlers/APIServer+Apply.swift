import SkiffModel

extension APIServer {
    /// Server-side apply (`application/apply-patch+yaml`): creates the object from the applied
    /// configuration, or merges the configuration into the live object by the schema's merge keys.
    ///
    /// Not yet: field ownership (`managedFields` per manager, conflicts, removal of fields a
    /// manager stopped applying).
    func apply(_ c: inout RequestContext) async throws -> Response {
        guard let manager = c.query["fieldManager"], !manager.isEmpty else {
            throw APIError.badRequest("PATCH with apply requires fieldManager to be set in the query parameter 'fieldManager'")
        }
        _ = manager
        let applied = try c.rawBody()
        try validateFields(&c, applied)
        if let name = applied["metadata", "name"]?.string, name != c.info.name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(c.info.name))")
        }
        let existing = try? await store.get(c.type, namespace: c.namespace, name: c.info.name)
        if existing == nil {
            var obj = try c.decodeBody()
            obj["metadata", "name"] = .string(c.info.name)
            let created = try await store.create(c.type, obj, dryRun: c.dryRun)
            return .json(c.output(created), status: .created)
        }
        let context = c
        let target: ResourceStore.UpdateTarget = c.info.subresource == "status" ? .status : .main
        let result = try await store.guaranteedUpdate(c.type, namespace: c.namespace, name: c.info.name, dryRun: c.dryRun) { current throws(APIError) in
            var patch = applied
            patch["metadata", "resourceVersion"] = nil
            var merged = try Patching.apply(patch.serialized(), contentType: PatchType.strategicMerge.rawValue, to: context.output(current), kind: context.type)
            if let conversion = context.conversion { merged = conversion.toStorage(merged) }
            merged["apiVersion"] = current["apiVersion"]
            merged["kind"] = current["kind"]
            merged["metadata", "resourceVersion"] = current["metadata", "resourceVersion"]
            return merged
        } target: { target }
        return .json(c.output(result))
    }
}
