/// Encodes SPDY/3 frames for one direction of a connection (its header compression context is
/// the connection's). Owned by one writer.
final class SPDYFrameEncoder {
    private let deflater: SPDYHeaderDeflater

    init() throws(SPDYError) { deflater = try SPDYHeaderDeflater() }

    func encode(_ frame: SPDYFrame) throws(SPDYError) -> [UInt8] {
        switch frame {
        case .data(let id, let fin, let bytes):
            guard bytes.count <= SPDYFrame.maxLength else { throw SPDYError("data frame too large") }
            var out = be32(id & 0x7fff_ffff)
            out.append(fin ? SPDYFrame.flagFin : 0)
            out += be24(UInt32(bytes.count))
            return out + bytes
        case .synStream(let id, let assoc, let priority, let fin, let uni, let headers):
            let block = try deflater.compress(Self.headerBlock(headers))
            let flags = (fin ? SPDYFrame.flagFin : 0) | (uni ? SPDYFrame.flagUnidirectional : 0)
            return control(1, flags, be32(id & 0x7fff_ffff) + be32(assoc & 0x7fff_ffff) + [(priority & 0x7) << 5, 0] + block)
        case .synReply(let id, let fin, let headers):
            let block = try deflater.compress(Self.headerBlock(headers))
            return control(2, fin ? SPDYFrame.flagFin : 0, be32(id & 0x7fff_ffff) + block)
        case .rstStream(let id, let status):
            return control(3, 0, be32(id & 0x7fff_ffff) + be32(status))
        case .settings(let clear, let entries):
            var payload = be32(UInt32(entries.count))
            for e in entries { payload += [e.flags] + be24(e.id) + be32(e.value) }
            return control(4, clear ? 1 : 0, payload)
        case .ping(let id):
            return control(6, 0, be32(id))
        case .goAway(let last, let status):
            return control(7, 0, be32(last & 0x7fff_ffff) + be32(status))
        case .headers(let id, let fin, let headers):
            let block = try deflater.compress(Self.headerBlock(headers))
            return control(8, fin ? SPDYFrame.flagFin : 0, be32(id & 0x7fff_ffff) + block)
        case .windowUpdate(let id, let delta):
            return control(9, 0, be32(id & 0x7fff_ffff) + be32(delta & 0x7fff_ffff))
        case .unknown:
            throw SPDYError("cannot encode an unknown frame")
        }
    }

    private func control(_ type: UInt16, _ flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(SPDYFrame.version >> 8), UInt8(SPDYFrame.version & 0xff), UInt8(type >> 8), UInt8(type & 0xff), flags]
            + be24(UInt32(payload.count)) + payload
    }

    /// The uncompressed name/value block: a 32-bit count, then each name and value with a 32-bit length.
    static func headerBlock(_ headers: [SPDYHeader]) -> [UInt8] {
        var out = be32(UInt32(headers.count))
        for h in headers {
            let name = Array(h.name.lowercased().utf8), value = Array(h.value.utf8)
            out += be32(UInt32(name.count)) + name + be32(UInt32(value.count)) + value
        }
        return out
    }
}

/// Splits a byte stream into SPDY/3 frames, whatever the reads' boundaries. Owned by one reader.
final class SPDYFrameDecoder {
    private let inflater: SPDYHeaderInflater
    private var buffer: [UInt8] = []
    private var start = 0

    init() throws(SPDYError) { inflater = try SPDYHeaderInflater() }

    func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next whole frame, nil until more bytes are appended. Throws on a malformed frame
    /// (the connection is then unusable: its header compression state is lost).
    func next() throws(SPDYError) -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let b = buffer
        let s = start
        let length = Int(b[s + 5]) << 16 | Int(b[s + 6]) << 8 | Int(b[s + 7])
        guard buffer.count - start >= 8 + length else { return nil }
        let flags = b[s + 4]
        let payload = Array(b[(s + 8)..<(s + 8 + length)])
        start += 8 + length
        if b[s] & 0x80 == 0 {
            let id = u32(b, s) & 0x7fff_ffff
            return .data(streamID: id, fin: flags & SPDYFrame.flagFin != 0, payload)
        }
        let version = (UInt16(b[s]) & 0x7f) << 8 | UInt16(b[s + 1])
        guard version == SPDYFrame.version else { throw SPDYError("unsupported SPDY version \(version)") }
        let type = UInt16(b[s + 2]) << 8 | UInt16(b[s + 3])
        let fin = flags & SPDYFrame.flagFin != 0
        func need(_ n: Int) throws(SPDYError) {
            guard payload.count >= n else { throw SPDYError("control frame type \(type) too short (\(payload.count) bytes)") }
        }
        switch type {
        case 1:
            try need(10)
            return .synStream(streamID: u32(payload, 0) & 0x7fff_ffff, associatedTo: u32(payload, 4) & 0x7fff_ffff,
                              priority: payload[8] >> 5, fin: fin, unidirectional: flags & SPDYFrame.flagUnidirectional != 0,
                              headers: try headers(Array(payload[10...])))
        case 2:
            try need(4)
            return .synReply(streamID: u32(payload, 0) & 0x7fff_ffff, fin: fin, headers: try headers(Array(payload[4...])))
        case 3:
            try need(8)
            return .rstStream(streamID: u32(payload, 0) & 0x7fff_ffff, status: u32(payload, 4))
        case 4:
            try need(4)
            let count = Int(u32(payload, 0))
            guard count <= (payload.count - 4) / 8 else { throw SPDYError("SETTINGS frame too short for \(count) entries") }
            let entries = (0..<count).map { i in
                let o = 4 + i * 8
                return SPDYSetting(flags: payload[o], id: UInt32(payload[o + 1]) << 16 | UInt32(payload[o + 2]) << 8 | UInt32(payload[o + 3]),
                                   value: u32(payload, o + 4))
            }
            return .settings(clear: flags & 1 != 0, entries)
        case 6:
            try need(4)
            return .ping(id: u32(payload, 0))
        case 7:
            try need(4)
            return .goAway(lastGoodStreamID: u32(payload, 0) & 0x7fff_ffff, status: payload.count >= 8 ? u32(payload, 4) : 0)
        case 8:
            try need(4)
            return .headers(streamID: u32(payload, 0) & 0x7fff_ffff, fin: fin, headers: try headers(Array(payload[4...])))
        case 9:
            try need(8)
            return .windowUpdate(streamID: u32(payload, 0) & 0x7fff_ffff, delta: u32(payload, 4) & 0x7fff_ffff)
        default:
            return .unknown(type: type)
        }
    }

    private func headers(_ compressed: [UInt8]) throws(SPDYError) -> [SPDYHeader] {
        let block = try inflater.decompress(compressed)
        guard block.count >= 4 else { throw SPDYError("header block too short") }
        let count = Int(u32(block, 0))
        var o = 4
        var out: [SPDYHeader] = []
        func string() throws(SPDYError) -> String {
            guard block.count - o >= 4 else { throw SPDYError("header block truncated") }
            let n = Int(u32(block, o))
            o += 4
            guard block.count - o >= n else { throw SPDYError("header block truncated") }
            defer { o += n }
            return String(decoding: block[o..<(o + n)], as: UTF8.self)
        }
        for _ in 0..<count {
            let name = try string()
            out.append(SPDYHeader(name, try string()))
        }
        return out
    }
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
func be24(_ v: UInt32) -> [UInt8] { [UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}
