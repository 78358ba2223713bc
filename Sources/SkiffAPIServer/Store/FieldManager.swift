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
    /// them; fields that were removed leave every manager.
    func trackUpdate(_ new: inout JSON, old: JSON?, type: ResourceType) {
        let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: type.group, version: type.version, kind: type.kind))
        var entries = ManagedFieldsEntry.decode(old ?? [:])
        if let sent = new["metadata", "managedFields"], sent != (old?["metadata", "managedFields"] ?? .null) {
            entries = ManagedFieldsEntry.decode(new)  // the client reset them
        }
        let ignored = ignored(type)
        let after = FieldSet.of(new, meta: meta, ignoring: ignored)
        let before = FieldSet.of(old ?? [:], meta: meta, ignoring: ignored)
        let changed = FieldSet(after.paths.filter { p in
            guard before.paths.contains(p) else { return true }
            guard let v = p.value(in: new), v.object == nil else { return false }
            return p.value(in: old ?? [:]) != v
        })
        let removed = before.subtracting(after)
        for i in entries.indices {
            entries[i].fields = entries[i].fields.subtracting(removed)
            if !entries[i].isSlot(manager: manager, operation: "Update", subresource: subresource) {
                entries[i].fields = entries[i].fields.subtracting(changed)
            }
        }
        if !changed.isEmpty {
            let now = Timestamp.format(Timestamp.now())
            if let i = entries.firstIndex(where: { $0.isSlot(manager: manager, operation: "Update", subresource: subresource) }) {
                entries[i].fields = entries[i].fields.union(changed)
                entries[i].time = now
                entries[i].apiVersion = apiVersion
            } else {
                entries.append(ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: now,
                                                  subresource: subresource, fields: changed))
            }
        }
        new["metadata", "managedFields"] = ManagedFieldsEntry.encode(entries)
    }
}
