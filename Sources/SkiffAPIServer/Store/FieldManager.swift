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
    /// them; fields that were removed leave every manager. An entry that holds none of those
    /// fields is written back as it was stored, without being decoded or encoded.
    func trackUpdate(_ new: inout JSON, old: JSON?, type: ResourceType) {
        let meta = Schema.builtin.patchMeta(for: GroupVersionKind(group: type.group, version: type.version, kind: type.kind))
        let ignored = ignored(type)
        let changed: FieldSet, removed: FieldSet
        if let old {
            (changed, removed) = FieldSet.diff(from: old, to: new, meta: meta, ignoring: ignored)
        } else {
            (changed, removed) = (FieldSet.of(new, meta: meta, ignoring: ignored), FieldSet())
        }
        var entries = (old?["metadata", "managedFields"]?.array ?? []).compactMap(StoredEntry.init)
        if let sent = new["metadata", "managedFields"], sent != (old?["metadata", "managedFields"] ?? .null) {
            entries = ManagedFieldsEntry.decode(new).map(StoredEntry.init)  // the client reset them
        }
        let taken = changed.union(removed)
        for i in entries.indices {
            let isSlot = entries[i].entry.isSlot(manager: manager, operation: "Update", subresource: subresource)
            let lost = isSlot ? removed : taken
            guard entries[i].mayHold(lost) else { continue }
            entries[i].decode()
            let fields = entries[i].entry.fields.subtracting(lost)
            if fields.paths.count != entries[i].entry.fields.paths.count {
                entries[i].entry.fields = fields
                entries[i].json = nil
            }
        }
        if !changed.isEmpty {
            let now = Timestamp.format(Timestamp.now())
            if let i = entries.firstIndex(where: { $0.entry.isSlot(manager: manager, operation: "Update", subresource: subresource) }) {
                entries[i].decode()
                entries[i].entry.fields = entries[i].entry.fields.union(changed)
                entries[i].entry.time = now
                entries[i].entry.apiVersion = apiVersion
                entries[i].json = nil
            } else {
                entries.append(StoredEntry(ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: now,
                                                              subresource: subresource, fields: changed)))
            }
        }
        let kept = entries.compactMap { e in e.json ?? (e.entry.fields.isEmpty ? nil : e.entry.json) }
        new["metadata", "managedFields"] = kept.isEmpty ? nil : .array(kept)
    }
}

/// A managedFields entry as stored: its JSON, with the fields decoded only when a write takes
/// some of them (most writes leave most entries alone).
struct StoredEntry {
    var entry: ManagedFieldsEntry
    /// The stored JSON while the entry is unchanged; nil once it changes (or for a new entry).
    var json: JSON?
    var decoded: Bool

    init?(_ json: JSON) {
        guard let entry = ManagedFieldsEntry(json, decodingFields: false) else { return nil }
        self.entry = entry
        self.json = json
        decoded = false
    }

    init(_ entry: ManagedFieldsEntry) {
        self.entry = entry
        json = nil
        decoded = true
    }

    mutating func decode() {
        guard !decoded else { return }
        entry.fields = FieldSet(fieldsV1: json?["fieldsV1"] ?? [:])
        decoded = true
    }

    /// Whether the entry may hold one of `paths` (always, once decoded).
    func mayHold(_ paths: FieldSet) -> Bool {
        guard !paths.isEmpty else { return false }
        guard !decoded, let tree = json?["fieldsV1"] else { return true }
        return paths.paths.contains { FieldSet.fieldsV1(tree, contains: $0) }
    }
}
