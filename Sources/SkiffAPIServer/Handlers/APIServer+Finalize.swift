import SkiffModel

extension APIServer {
    /// `namespaces/{name}/finalize` (PUT): replaces the namespace's `spec.finalizers` with the
    /// body's, nothing else. A Terminating namespace left with no finalizers of either kind is
    /// removed by the same write (kube-apiserver's FinalizeREST with ShouldDeleteDuringUpdate).
    /// A `metadata.resourceVersion` in the body must match the stored one.
    func finalize(_ c: inout RequestContext) async throws -> Response {
        guard c.type.subresources.contains("finalize") else { throw APIError.pathNotFound() }
        let body = try c.decodeBody()
        let finalizers = (body["spec", "finalizers"]?.array ?? []).filter { $0.string?.isEmpty == false }
        let name = c.info.name
        let groupResource = c.type.groupResource
        let result = try await store.guaranteedUpdate(c.type, namespace: nil, name: name, dryRun: c.dryRun,
                                                      manager: c.fieldManager) { current throws(APIError) in
            if let rv = body["metadata", "resourceVersion"]?.string, !rv.isEmpty, rv != current["metadata", "resourceVersion"]?.string {
                throw .conflict(groupResource, name, APIError.optimisticLockMessage)
            }
            var updated = current
            updated["spec", "finalizers"] = finalizers.isEmpty ? nil : .array(finalizers)
            return updated
        } target: { .subresource }
        return .json(c.output(result))
    }
}
