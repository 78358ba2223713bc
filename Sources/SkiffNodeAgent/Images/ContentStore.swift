#if canImport(Glibc)
import Glibc
#endif

/// Blobs (manifests, configs, compressed layers) stored by digest under `<root>/blobs/sha256/`.
///
/// Every write is verified: content lands in `<root>/ingest/` first and is renamed into place only
/// when its sha256 (and size, when known) match, so a blob's presence means it is intact.
/// Writes of the same digest are idempotent. Safe to use from several tasks: each ingest has its
/// own temporary file and the final rename is atomic.
public struct ContentStore: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try FileIO.mkdirs(root + "/blobs/sha256")
        try FileIO.mkdirs(root + "/ingest")
    }

    public func path(_ digest: String) -> String { root + "/blobs/sha256/" + Digest.hex(digest) }

    public func has(_ digest: String) -> Bool { Digest.isValid(digest) && FileIO.exists(path(digest)) }

    /// The whole blob, verified against its digest (for manifests and configs).
    public func read(_ digest: String) throws -> [UInt8] {
        guard Digest.isValid(digest) else { throw ImageError(.invalidContent, "invalid digest \(digest)") }
        let bytes = try FileIO.readAll(path(digest))
        try Digest.verify(bytes, digest, what: "stored blob")
        return bytes
    }

    /// Stores `bytes` and returns their digest; throws `digestMismatch` if `expected` differs.
    @discardableResult
    public func write(_ bytes: [UInt8], expected: String? = nil) throws -> String {
        let digest = Digest.sha256(bytes)
        if let expected, expected != digest {
            throw ImageError(.digestMismatch, "content: expected \(expected), got \(digest)")
        }
        if !has(digest) { try FileIO.writeAtomically(path(digest), bytes) }
        return digest
    }

    /// Streams chunks into the store, verifying size and digest against `descriptor`.
    public func ingest(_ descriptor: Descriptor, chunks: AsyncThrowingStream<[UInt8], any Error>) async throws {
        let tmp = try Ingest(store: self)
        do {
            for try await chunk in chunks {
                try tmp.append(chunk)
                if tmp.size > descriptor.size {
                    throw ImageError(.digestMismatch, "blob \(descriptor.digest) is larger than its \(descriptor.size) bytes")
                }
            }
            try tmp.commit(descriptor)
        } catch {
            tmp.abort()
            throw error
        }
    }

    /// Copies a file into the store, verifying it against `descriptor` (archive import).
    public func ingest(_ descriptor: Descriptor, file: String) throws {
        if has(descriptor.digest) { return }
        let reader = try FileReader(path: file)
        let tmp = try Ingest(store: self)
        do {
            while true {
                let chunk = try reader.read()
                if chunk.isEmpty { break }
                try tmp.append(chunk)
            }
            try tmp.commit(descriptor)
        } catch {
            tmp.abort()
            throw error
        }
    }

    public func delete(_ digest: String) throws {
        guard unlink(path(digest)) == 0 || errno == ENOENT else { throw FileIO.errnoError("unlink", path(digest)) }
    }

    /// Every stored digest.
    public func list() throws -> [String] {
        try FileIO.list(root + "/blobs/sha256").filter { !$0.contains(".tmp-") }.map { "sha256:" + $0 }
    }
}

/// One blob being written: a temporary file plus a running hash.
final class Ingest {
    let store: ContentStore
    let writer: FileWriter
    var hasher = Hasher()
    var size: Int64 = 0

    init(store: ContentStore) throws {
        self.store = store
        writer = try FileWriter(path: store.root + "/ingest/\(getpid())-\(UInt64.random(in: 0...UInt64.max))", exclusive: true)
    }

    func append(_ chunk: [UInt8]) throws {
        try chunk.withUnsafeBytes { buf in
            hasher.update(buf)
            try writer.write(buf)
        }
        size += Int64(chunk.count)
    }

    func commit(_ descriptor: Descriptor) throws {
        try writer.close()
        let digest = hasher.finalize()
        guard digest == descriptor.digest else {
            throw ImageError(.digestMismatch, "blob: expected \(descriptor.digest), got \(digest)")
        }
        guard size == descriptor.size || descriptor.size < 0 else {
            throw ImageError(.digestMismatch, "blob \(descriptor.digest): expected \(descriptor.size) bytes, got \(size)")
        }
        guard rename(writer.path, store.path(digest)) == 0 else { throw FileIO.errnoError("rename", writer.path) }
    }

    func abort() {
        try? writer.close()
        unlink(writer.path)
    }
}
