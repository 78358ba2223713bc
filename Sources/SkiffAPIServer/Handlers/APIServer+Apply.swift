import SkiffModel

extension APIServer {
    /// Server-side apply (`application/apply-patch+yaml`): the manager's applied configuration is
    /// merged into the live object; the manager owns exactly the fields it applies; fields it
    /// applied before and no longer does are removed unless another manager owns them; applying a
    /// different value to a field another manager owns is a conflict unless `force=true`.
    func apply(_ c: inout RequestContext) async throws -> Response {
        guard let manager = c.query["fieldManager"], !manager.isEmpty else {
            throw APIError.badRequest("PATCH with apply requires fieldManager to be set in the query parameter 'fieldManager'")
        }
        let force = c.query["force"] == "true"
        let raw = try c.rawBodyNotingDuplicates()
        let sent = try validateFields(&c, raw)
        if let name = sent["metadata", "name"]?.string, !name.isEmpty, name != c.info.name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(c.info.name))")
        }
        if sent["metadata", "managedFields"] != nil {
            throw APIError.badRequest("metadata.managedFields must be nil")
        }
        var applied = try c.decodeBody(sent)
        applied["metadata", "name"] = .string(c.info.name)
        let type = c.type
        let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: type.group, version: type.version, kind: type.kind))
        let appliedSet = FieldSet.of(applied, meta: meta)
        let now = Timestamp.format(Timestamp.now())
        let entry = ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: c.apiVersion, time: now,
                                       subresource: c.info.subresource, fields: appliedSet)
        if (try? await store.get(type, namespace: c.namespace, name: c.info.name)) == nil {
            var obj = applied
            obj["metadata", "managedFields"] = ManagedFieldsEntry.encode([entry])
            if type.group.isEmpty && type.kind == "Pod" { try await admitServiceAccount(&obj) }
            let created = try await store.create(type, obj, dryRun: c.dryRun)
            return .json(c.output(created), status: .created)
        }
        let target: ResourceStore.UpdateTarget = c.info.subresource == "status" ? .status : .main
        let result = try await store.guaranteedUpdate(type, namespace: c.namespace, name: c.info.name, dryRun: c.dryRun) { live throws(APIError) in
            var entries = ManagedFieldsEntry.decode(live)
            let conflicts = ServerSideApply.conflicts(appliedSet: appliedSet, applied: applied, live: live, entries: entries, manager: manager)
            if !conflicts.isEmpty {
                guard force else {
                    let causes = conflicts.flatMap { conflict in
                        conflict.paths.map { APIError.Cause(reason: "FieldManagerConflict", message: "conflict with \(conflict.managerDescription)", field: $0.description) }
                    }
                    throw APIError(code: 409, reason: "Conflict", message: ServerSideApply.conflictMessage(conflicts),
                                   details: .init(causes: causes))
                }
                let taken = FieldSet(Set(conflicts.flatMap(\.paths)))
                for i in entries.indices where entries[i].manager != manager { entries[i].fields = entries[i].fields.subtracting(taken) }
            }
            let slot = { (e: ManagedFieldsEntry) in e.isSlot(manager: manager, operation: "Apply", subresource: entry.subresource) }
            let previous = entries.first(where: slot)?.fields ?? FieldSet()
            let others = entries.filter { !slot($0) }.reduce(FieldSet()) { $0.union($1.fields) }
            let dropped = previous.subtracting(appliedSet).subtracting(others)
            var merged = ServerSideApply.merge(ServerSideApply.remove(dropped.paths, from: live), applied, meta: meta)
            for field in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
                merged["metadata", field] = applied["metadata", field] ?? live["metadata", field]
            }
            if let rv = applied["metadata", "resourceVersion"]?.string, rv != live["metadata", "resourceVersion"]?.string {
                throw .conflict(type.groupResource, c.info.name, APIError.optimisticLockMessage)
            }
            entries.removeAll(where: slot)
            entries.append(entry)
            merged["metadata", "managedFields"] = ManagedFieldsEntry.encode(entries)
            return merged
        } target: { target }
        return .json(c.output(result))
    }
}
