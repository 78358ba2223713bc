extension DNSMessage {
    /// Decodes a message. Throws `DNSFormatError` on anything short, looping or out of range.
    public init(decoding bytes: [UInt8]) throws {
        var r = DNSReader(bytes: bytes)
        self.init(id: try r.u16())
        let flags = try r.u16()
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0xF)
        authoritative = flags & 0x0400 != 0
        truncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        rcode = DNSResponseCode(rawValue: UInt8(flags & 0xF))
        let qd = try r.u16(), an = try r.u16(), ns = try r.u16(), ar = try r.u16()
        for _ in 0..<qd {
            let name = try r.name()
            questions.append(DNSQuestion(name: name, type: DNSRecordType(rawValue: try r.u16()), dnsClass: try r.u16()))
        }
        // Outside the additional section an OPT record throws, so `record` returns a record.
        for _ in 0..<an { if let rr = try r.record(into: &self) { answers.append(rr) } }
        for _ in 0..<ns { if let rr = try r.record(into: &self) { authorities.append(rr) } }
        for _ in 0..<ar {
            // The OPT record is read into `edns`; `record` returns nil for it.
            if let rr = try r.record(into: &self, optAllowed: true) { additionals.append(rr) }
        }
    }

    /// Only the id of a message too broken to decode (for a FORMERR answer), or nil under 12 bytes.
    public static func headerID(_ bytes: [UInt8]) -> UInt16? {
        bytes.count >= 12 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
    }
}

struct DNSReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func u8() throws -> UInt8 {
        guard offset < bytes.count else { throw DNSFormatError("message ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }

    mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else { throw DNSFormatError("message ends early") }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    /// A possibly compressed name, leaving `offset` after it.
    mutating func name() throws -> String {
        var labels: [String] = []
        var at = offset
        var jumped = false
        var jumps = 0
        var length = 0
        while true {
            guard at < bytes.count else { throw DNSFormatError("name runs past the end") }
            let n = Int(bytes[at])
            if n == 0 {
                if !jumped { offset = at + 1 }
                break
            }
            switch n & 0xC0 {
            case 0xC0:
                guard at + 1 < bytes.count else { throw DNSFormatError("name runs past the end") }
                jumps += 1
                guard jumps <= 64 else { throw DNSFormatError("compression pointers loop") }
                if !jumped { offset = at + 2 }
                jumped = true
                at = (n & 0x3F) << 8 | Int(bytes[at + 1])
            case 0x00:
                guard at + 1 + n <= bytes.count else { throw DNSFormatError("label runs past the end") }
                length += n + 1
                guard length <= 255 else { throw DNSFormatError("name longer than 255 bytes") }
                labels.append(String(decoding: bytes[(at + 1)...(at + n)], as: UTF8.self))
                at += 1 + n
            default:
                throw DNSFormatError("unknown label type \(n >> 6)")
            }
        }
        return labels.joined(separator: ".")
    }

    /// One resource record; nil for an OPT record, which is stored in `message.edns`.
    mutating func record(into message: inout DNSMessage, optAllowed: Bool = false) throws -> DNSRecord? {
        let name = try name()
        let type = DNSRecordType(rawValue: try u16())
        let dnsClass = try u16()
        let ttl = try u32()
        let length = Int(try u16())
        guard offset + length <= bytes.count else { throw DNSFormatError("record data runs past the end") }
        let end = offset + length
        if type == .opt {
            guard optAllowed, name.isEmpty else { throw DNSFormatError("misplaced OPT record") }
            var edns = DNSMessage.EDNS(udpPayloadSize: dnsClass, dnssecOK: ttl & 0x8000 != 0)
            edns.version = UInt8((ttl >> 16) & 0xFF)
            let extended = UInt8(ttl >> 24)
            message.rcode = DNSResponseCode(rawValue: extended << 4 | message.rcode.rawValue)
            edns.options = try take(length)
            message.edns = edns
            return nil
        }
        let data: DNSRecordData
        switch type {
        case .a where length == 4: data = .a(try take(4))
        case .aaaa where length == 16: data = .aaaa(try take(16))
        case .cname: data = .cname(try self.name())
        case .ptr: data = .ptr(try self.name())
        case .ns: data = .ns(try self.name())
        case .srv:
            data = .srv(priority: try u16(), weight: try u16(), port: try u16(), target: try self.name())
        case .soa:
            data = .soa(mname: try self.name(), rname: try self.name(), serial: try u32(), refresh: try u32(),
                        retry: try u32(), expire: try u32(), minimum: try u32())
        case .txt:
            var strings: [String] = []
            while offset < end {
                let n = Int(try u8())
                strings.append(String(decoding: try take(n), as: UTF8.self))
            }
            data = .txt(strings)
        default:
            data = .other(type, try take(length))
        }
        guard offset == end else { throw DNSFormatError("record data length does not match its contents") }
        var rr = DNSRecord(name: name, ttl: ttl, data: data)
        rr.dnsClass = dnsClass
        return rr
    }
}
