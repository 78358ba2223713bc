import SkiffModel

/// Who is writing, for `metadata.managedFields`: the field manager, the version it speaks and
/// the subresource it writes.
public struct FieldManager: Sendable {
    public var manager: String
    public var apiVersion: String
    public var subresource: String

    public init(manager: String, apiVersion: String, subresource: String = "") {
        self.manager = manager
        self.apiVersion = apiVersion
        self.subresource = subresource
    }

    /// The top-level fields a writer of this subresource does not own: `status` for the main
    /// resource of kinds where it is a subresource, everything but `status` for the status subresource.
    func ignored(_ type: ResourceType) -> Set<String> {
        if subresource == "status" { return ["spec", "metadata", "data", "subsets"] }
        return type.subresources.contains("status") ? ["status"] : []
    }

    /// Records an Update: this manager now owns the fields it changed; every other manager loses
    /// them; fields that were removed leave every manager. Entries whose fields stay as they were
    /// are written back as they came, not encoded again.
    func trackUpdate(_ new: inout JSON, old: JSON?, type: ResourceType) {
        let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: type.group, version: type.version, kind: type.kind))
        // Each entry with the stored JSON it came from; nil once its fields or time change.
        var entries: [(entry: ManagedFieldsEntry, json: JSON?)] =
            (old?["metadata", "managedFields"]?.array ?? []).compactMap { j in ManagedFieldsEntry(j).map { ($0, j) } }
        if let sent = new["metadata", "managedFields"], sent != (old?["metadata", "managedFields"] ?? .null) {
            entries = ManagedFieldsEntry.decode(new).map { ($0, nil) }  // the client reset them
        }
        let ignored = ignored(type)
        let after: FieldSet, changed: FieldSet, removed: FieldSet
        if let old {
            let before = FieldSet.of(old, meta: meta, ignoring: ignored)
            (after, changed) = FieldSet.changes(to: new, from: old, before: before, meta: meta, ignoring: ignored)
            removed = before.subtracting(after)
        } else {
            after = FieldSet.of(new, meta: meta, ignoring: ignored)
            (changed, removed) = (after, FieldSet())
        }
        for i in entries.indices {
            let isSlot = entries[i].entry.isSlot(manager: manager, operation: "Update", subresource: subresource)
            var fields = entries[i].entry.fields.subtracting(removed)
            if !isSlot { fields = fields.subtracting(changed) }
            if fields.paths.count != entries[i].entry.fields.paths.count {
                entries[i] = (entries[i].entry, nil)
                entries[i].entry.fields = fields
            }
        }
        if !changed.isEmpty {
            let now = Timestamp.format(Timestamp.now())
            if let i = entries.firstIndex(where: { $0.entry.isSlot(manager: manager, operation: "Update", subresource: subresource) }) {
                entries[i].entry.fields = entries[i].entry.fields.union(changed)
                entries[i].entry.time = now
                entries[i].entry.apiVersion = apiVersion
                entries[i].json = nil
            } else {
                entries.append((ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: now,
                                                   subresource: subresource, fields: changed), nil))
            }
        }
        let kept = entries.filter { !$0.entry.fields.isEmpty }.map { $0.json ?? $0.entry.json }
        new["metadata", "managedFields"] = kept.isEmpty ? nil : .array(kept)
    }
}
