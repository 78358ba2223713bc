extension JSON {
    /// The compact JSON encoding of this value, as UTF-8 bytes.
    /// With `sortedKeys`, object members are written in key order (stable output for tests and hashes).
    public func serialized(sortedKeys: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, sortedKeys: sortedKeys)
        return out
    }

    /// The compact JSON encoding as a `String`.
    public func serializedString(sortedKeys: Bool = false) -> String {
        String(decoding: serialized(sortedKeys: sortedKeys), as: UTF8.self)
    }

    public func write(to out: inout [UInt8], sortedKeys: Bool = false) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: JSON.format(d).utf8)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                e.write(to: &out, sortedKeys: sortedKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            func member(_ k: String, _ v: JSON) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out, sortedKeys: sortedKeys)
            }
            if sortedKeys {
                for k in o.keys.sorted() { member(k, o[k]!) }
            } else {
                for (k, v) in o { member(k, v) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSON {
    /// The compact encoding of an object, and the offset just inside its top-level `metadata`
    /// object (after `"metadata":{`), where `splicing(resourceVersion:into:at:)` adds a member
    /// without encoding the object again; nil when there is no metadata object.
    public func serializedMarkingMetadata() -> (bytes: [UInt8], metadata: Int?) {
        guard case .object(let members) = self else { return (serialized(), nil) }
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        var mark: Int?
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSON.writeString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            if k == "metadata", v.object != nil { mark = out.count + 1 }
            v.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return (out, mark)
    }

    /// `bytes` with `"resourceVersion":"<revision>"` as the first member of the object that
    /// starts just before `offset` (as `serializedMarkingMetadata` marks it).
    public static func splicing(resourceVersion revision: Int64, into bytes: [UInt8], at offset: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 40)
        out += bytes[..<offset]
        out += #""resourceVersion":""#.utf8
        out += String(revision).utf8
        out.append(UInt8(ascii: "\""))
        if offset < bytes.count, bytes[offset] != UInt8(ascii: "}") { out.append(UInt8(ascii: ",")) }
        out += bytes[offset...]
        return out
    }
}
