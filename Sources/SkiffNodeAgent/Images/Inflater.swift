import CZlib

/// A source of bytes read in order: a file, or a file seen through gzip.
protocol ByteSource: AnyObject {
    /// The next bytes; empty only at the end.
    func next() throws -> [UInt8]
}

extension FileReader: ByteSource {
    func next() throws -> [UInt8] { try read() }
}

/// Decompresses a gzip stream (several concatenated members allowed) from another source.
final class GzipSource: ByteSource {
    private let input: any ByteSource
    private var stream = z_stream()
    /// Owns the compressed bytes zlib is reading (`stream.next_in` points into it).
    private var inBuf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    private var finished = false
    private var inputEnded = false

    init(_ input: any ByteSource) throws {
        self.input = input
        // 15 window bits + 16: gzip wrapper only.
        let rc = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw ImageError(.io, "zlib inflateInit failed (\(rc))") }
    }

    deinit {
        inflateEnd(&stream)
        inBuf.deallocate()
    }

    /// Loads the next compressed chunk; false at the end of the input.
    private func refill() throws -> Bool {
        if inputEnded { return false }
        let chunk = try input.next()
        if chunk.isEmpty { inputEnded = true; return false }
        if chunk.count > inBuf.count {
            inBuf.deallocate()
            inBuf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk.count, alignment: 1)
        }
        chunk.withUnsafeBytes { inBuf.copyMemory(from: $0) }
        stream.next_in = inBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(chunk.count)
        return true
    }

    func next() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1 << 17)
        while !finished {
            if stream.avail_in == 0, try !refill() {
                throw ImageError(.invalidContent, "gzip stream ends early")
            }
            var streamEnd = false
            let produced: Int = try out.withUnsafeMutableBytes { outBuf in
                stream.next_out = outBuf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(outBuf.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                switch rc {
                case Z_OK, Z_BUF_ERROR: break
                case Z_STREAM_END: streamEnd = true
                default: throw ImageError(.invalidContent, "gzip data is corrupt (zlib \(rc))")
                }
                return outBuf.count - Int(stream.avail_out)
            }
            if streamEnd {
                // Another gzip member may follow (in this chunk or the next one).
                let more = try stream.avail_in > 0 || refill()
                if more {
                    let nextIn = stream.next_in, availIn = stream.avail_in
                    inflateReset(&stream)
                    stream.next_in = nextIn
                    stream.avail_in = availIn
                } else {
                    finished = true
                }
            }
            if produced > 0 { out.removeLast(out.count - produced); return out }
        }
        return []
    }
}

/// Whether the bytes start with gzip's magic number.
func isGzip(_ head: [UInt8]) -> Bool { head.count >= 2 && head[0] == 0x1f && head[1] == 0x8b }

/// A source that hands back some already-read bytes before the rest of another source.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]?
    private let rest: any ByteSource
    init(_ prefix: [UInt8], _ rest: any ByteSource) { self.prefix = prefix; self.rest = rest }
    func next() throws -> [UInt8] {
        if let p = prefix { prefix = nil; if !p.isEmpty { return p } }
        return try rest.next()
    }
}

/// A source over bytes in memory (tests, small tars).
final class BytesSource: ByteSource {
    private var bytes: [UInt8]?
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func next() throws -> [UInt8] { defer { bytes = nil }; return bytes ?? [] }
}

/// Passes bytes through while hashing them (the diffID of an uncompressed layer).
final class HashingSource: ByteSource {
    private let input: any ByteSource
    private(set) var hasher = Hasher()
    init(_ input: any ByteSource) { self.input = input }
    func next() throws -> [UInt8] {
        let b = try input.next()
        hasher.update(b)
        return b
    }
}

/// Opens a layer or archive file, gunzipping it when it starts with gzip's magic number.
func openMaybeCompressed(_ path: String) throws -> any ByteSource {
    let file = try FileReader(path: path)
    let head = try file.read()
    let source = PrefixedSource(head, file)
    if isGzip(head) { return try GzipSource(source) }
    if head.count >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd {
        throw ImageError(.unsupported, "zstd-compressed layers are not supported")
    }
    return source
}
