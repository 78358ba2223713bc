/// One entry of a tar archive, with the PAX and GNU long-name extensions already applied.
struct TarEntry {
    enum Kind: Equatable { case file, hardLink, symlink, charDevice, blockDevice, directory, fifo, other(UInt8) }
    var path: String
    var kind: Kind
    var mode: UInt32
    var uid: Int
    var gid: Int
    var size: Int64
    var mtime: Int64
    var linkName: String
    var devMajor: UInt32
    var devMinor: UInt32
    /// From PAX `SCHILY.xattr.<name>` records.
    var xattrs: [String: [UInt8]]
}

/// Reads a tar stream (ustar, GNU and PAX formats) entry by entry.
///
/// After `next()` returns an entry, its data is read with `readData` or skipped by the next
/// call to `next()`.
final class TarReader {
    private let source: any ByteSource
    private var buffer: [UInt8] = []
    private var position = 0
    /// Data bytes (plus padding) of the current entry not yet consumed.
    private var remaining: Int64 = 0
    private var padding: Int64 = 0

    init(_ source: any ByteSource) { self.source = source }

    func next() throws -> TarEntry? {
        try skip(remaining + padding)
        remaining = 0; padding = 0
        var longName: String?, longLink: String?
        var pax: [String: [UInt8]] = [:]
        while true {
            guard let header = try take(512, allowEOF: true) else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try verifyChecksum(header)
            let type = header[156]
            let size = try sizeField(header)
            switch type {
            case UInt8(ascii: "L"): longName = cString(try readAll(size)); continue
            case UInt8(ascii: "K"): longLink = cString(try readAll(size)); continue
            case UInt8(ascii: "x"): pax.merge(try parsePAX(try readAll(size))) { $1 }; continue
            case UInt8(ascii: "g"): _ = try readAll(size); continue
            default: break
            }
            var path = string(header, 0, 100)
            let magic = string(header, 257, 6)
            if magic.hasPrefix("ustar") {
                let prefix = string(header, 345, 155)
                if !prefix.isEmpty && magic == "ustar" { path = prefix + "/" + path }
            }
            var entry = TarEntry(
                path: longName ?? path, kind: kind(type), mode: UInt32(try octal(header, 100, 8)),
                uid: Int(try octal(header, 108, 8)), gid: Int(try octal(header, 116, 8)), size: size,
                mtime: try octal(header, 136, 12), linkName: longLink ?? string(header, 157, 100),
                devMajor: UInt32(try octal(header, 329, 8)), devMinor: UInt32(try octal(header, 337, 8)), xattrs: [:])
            for (key, value) in pax {
                let text = String(decoding: value, as: UTF8.self)
                switch key {
                case "path": entry.path = text
                case "linkpath": entry.linkName = text
                case "size": entry.size = Int64(text) ?? entry.size
                case "uid": entry.uid = Int(text) ?? entry.uid
                case "gid": entry.gid = Int(text) ?? entry.gid
                case "mtime": entry.mtime = Int64(text.split(separator: ".").first ?? "") ?? entry.mtime
                default:
                    if key.hasPrefix("SCHILY.xattr.") { entry.xattrs[String(key.dropFirst(13))] = value }
                }
            }
            remaining = entry.size
            padding = paddedSize(entry.size) - entry.size
            return entry
        }
    }

    /// Delivers the current entry's data in chunks.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remaining > 0 {
            if position == buffer.count { try fill() }
            let n = Int(min(Int64(buffer.count - position), remaining))
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[position..<position + n])) }
            position += n
            remaining -= Int64(n)
        }
    }

    private func paddedSize(_ size: Int64) -> Int64 { (size + 511) / 512 * 512 }

    private func readAll(_ size: Int64) throws -> [UInt8] {
        guard size < 1 << 24 else { throw ImageError(.invalidContent, "tar extended header too large") }
        let bytes = try take(Int(size), allowEOF: false)!
        try skip(paddedSize(size) - size)
        return bytes
    }

    private func fill() throws {
        let chunk = try source.next()
        guard !chunk.isEmpty else { throw ImageError(.invalidContent, "tar archive ends in the middle of an entry") }
        if position == buffer.count { buffer = chunk } else { buffer = Array(buffer[position...]) + chunk }
        position = 0
    }

    private func take(_ n: Int, allowEOF: Bool) throws -> [UInt8]? {
        while buffer.count - position < n {
            let chunk = try source.next()
            if chunk.isEmpty {
                if allowEOF && buffer.count == position { return nil }
                throw ImageError(.invalidContent, "tar archive ends in the middle of an entry")
            }
            buffer = Array(buffer[position...]) + chunk
            position = 0
        }
        defer { position += n }
        return Array(buffer[position..<position + n])
    }

    private func skip(_ n: Int64) throws {
        var left = n
        while left > 0 {
            if position == buffer.count { try fill() }
            let step = Int(min(Int64(buffer.count - position), left))
            position += step
            left -= Int64(step)
        }
    }

    private func kind(_ t: UInt8) -> TarEntry.Kind {
        switch t {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): return .file
        case UInt8(ascii: "1"): return .hardLink
        case UInt8(ascii: "2"): return .symlink
        case UInt8(ascii: "3"): return .charDevice
        case UInt8(ascii: "4"): return .blockDevice
        case UInt8(ascii: "5"): return .directory
        case UInt8(ascii: "6"): return .fifo
        default: return .other(t)
        }
    }

    private func verifyChecksum(_ h: [UInt8]) throws {
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        guard let stored = try? octal(h, 148, 8), stored == Int64(sum) else {
            throw ImageError(.invalidContent, "tar header checksum mismatch")
        }
    }

    private func sizeField(_ h: [UInt8]) throws -> Int64 { try octal(h, 124, 12) }

    /// An octal field, or GNU base-256 when the high bit of the first byte is set.
    private func octal(_ h: [UInt8], _ offset: Int, _ length: Int) throws -> Int64 {
        let field = h[offset..<offset + length]
        if let first = field.first, first & 0x80 != 0 {
            var v: Int64 = Int64(first & 0x7f)
            for b in field.dropFirst() { v = v << 8 | Int64(b) }
            return v
        }
        var v: Int64 = 0
        var seen = false
        for b in field {
            if b == 0 || (b == 32 && seen) { break }
            if b == 32 { continue }
            guard b >= 48 && b <= 55 else { throw ImageError(.invalidContent, "tar header has a malformed number") }
            v = v * 8 + Int64(b - 48)
            seen = true
        }
        return v
    }

    private func string(_ h: [UInt8], _ offset: Int, _ length: Int) -> String {
        cString(Array(h[offset..<offset + length]))
    }

    private func cString(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// PAX records: `<length> <key>=<value>\n`.
    private func parsePAX(_ data: [UInt8]) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: 32), let length = Int(String(decoding: data[i..<space], as: UTF8.self)),
                  length > 0, i + length <= data.count else {
                throw ImageError(.invalidContent, "malformed PAX header")
            }
            let record = data[(space + 1)..<(i + length - 1)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                out[String(decoding: record[record.startIndex..<eq], as: UTF8.self)] = Array(record[(eq + 1)...])
            }
            i += length
        }
        return out
    }
}
