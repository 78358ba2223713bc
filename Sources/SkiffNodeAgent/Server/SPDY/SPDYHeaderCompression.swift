import CZlib

/// The header blocks of one direction of a SPDY/3 connection: one zlib stream for the whole
/// connection, seeded with `SPDYDictionary`, each block ending in a sync flush.
///
/// Not thread-safe: one reader task owns the inflater, one writer task the deflater.
final class SPDYHeaderDeflater {
    private var stream = z_stream()
    private var ready = false

    init() throws(SPDYError) {
        // zlib's defaults: level 9 as Go's spdy Framer writes, 15 window bits, memLevel 8.
        guard deflateInit2_(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw SPDYError("zlib deflateInit failed") }
        let dict = SPDYDictionary.bytes
        let rc = dict.withUnsafeBufferPointer { deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
        guard rc == Z_OK else {
            deflateEnd(&stream)
            throw SPDYError("zlib deflateSetDictionary failed (\(rc))")
        }
        ready = true
    }

    deinit { if ready { deflateEnd(&stream) } }

    func compress(_ input: [UInt8]) throws(SPDYError) -> [UInt8] {
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let rc: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    let rc = deflate(&stream, Z_SYNC_FLUSH)
                    return (rc, outBuf.count - Int(stream.avail_out))
                }
                if rc != Z_OK && rc != Z_BUF_ERROR { return rc }
                out += chunk[0..<produced]
            } while stream.avail_out == 0
            stream.next_in = nil
            return Z_OK
        }
        guard rc == Z_OK else { throw SPDYError("zlib deflate failed (\(rc))") }
        return out
    }
}

final class SPDYHeaderInflater {
    private var stream = z_stream()
    private var ready = false

    init() throws(SPDYError) {
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SPDYError("zlib inflateInit failed")
        }
        ready = true
    }

    deinit { if ready { inflateEnd(&stream) } }

    /// Decompresses one header block (all of it must be given; it ends in a sync flush).
    func decompress(_ input: [UInt8], limit: Int = 1 << 20) throws(SPDYError) -> [UInt8] {
        var input = input
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failure: Int32?
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    var rc = inflate(&stream, Z_SYNC_FLUSH)
                    if rc == Z_NEED_DICT {
                        let dict = SPDYDictionary.bytes
                        rc = dict.withUnsafeBufferPointer { inflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
                        if rc == Z_OK { rc = inflate(&stream, Z_SYNC_FLUSH) }
                    }
                    return (rc, outBuf.count - Int(stream.avail_out))
                }
                out += chunk[0..<produced]
                if rc == Z_BUF_ERROR || (rc == Z_OK && stream.avail_in == 0 && stream.avail_out > 0) { break }
                if rc != Z_OK { failure = rc; break }
                if out.count > limit { failure = Z_MEM_ERROR; break }
            }
            stream.next_in = nil
        }
        if let failure { throw SPDYError("header block cannot be decompressed (zlib \(failure))") }
        return out
    }
}
