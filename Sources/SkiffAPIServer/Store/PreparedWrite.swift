import SkiffModel

/// An object about to be stored: the object (without `resourceVersion`), the bytes stored, and
/// where in them its metadata starts, so that the forms with a `resourceVersion` (the watch
/// cache's and the response's) are made by splicing, not by encoding the object again.
struct PreparedWrite: Sendable {
    var object: JSON
    var bytes: [UInt8]
    var metadataOffset: Int?

    init(_ object: JSON) {
        var stored = object
        stored["metadata", "resourceVersion"] = nil
        self.object = stored
        (bytes, metadataOffset) = stored.serializedMarkingMetadata()
    }

    /// The object with `resourceVersion` set to `revision`.
    func object(revision: Int64) -> JSON {
        var o = object
        o["metadata", "resourceVersion"] = .string(String(revision))
        return o
    }

    /// The encoding of `object(revision:)`.
    func bytes(revision: Int64) -> [UInt8] {
        guard let metadataOffset else { return object(revision: revision).serialized() }
        return JSON.splicing(resourceVersion: revision, into: bytes, at: metadataOffset)
    }
}

/// A written object, and its encoding when the write made one (a dry run or a write that
/// changed nothing does not): a response sends those bytes as they are.
public struct Written: Sendable {
    public var object: JSON
    public var bytes: [UInt8]?
}
