extension DNSMessage {
    /// The wire form, names compressed. When the message is longer than `maxSize` (at least 512),
    /// whole records are dropped from the end (additionals, then authorities, then answers) and
    /// the TC bit is set, as RFC 1035 and RFC 2181 section 9 ask; the OPT record is always kept.
    public func encode(maxSize: Int = 65535) -> [UInt8] {
        var w = DNSWriter()
        w.u16(id)
        w.u16(0)  // flags, filled in below
        w.u16(UInt16(questions.count))
        w.u16(0); w.u16(0); w.u16(0)
        for q in questions {
            w.name(q.name)
            w.u16(q.type.rawValue)
            w.u16(q.dnsClass)
        }
        let optSize = edns.map { 11 + $0.options.count } ?? 0
        let limit = max(512, maxSize) - optSize
        var truncated = self.truncated
        var counts: [UInt16] = [0, 0, 0]
        sections: for (i, section) in [answers, authorities, additionals].enumerated() {
            for rr in section {
                let saved = w
                w.record(rr)
                if w.bytes.count > limit {
                    w = saved
                    // A short additional section is not truncation (RFC 2181 9).
                    if i < 2 { truncated = true }
                    break sections
                }
                counts[i] += 1
            }
        }
        var additionalCount = counts[2]
        if let edns {
            w.name("")
            w.u16(DNSRecordType.opt.rawValue)
            w.u16(edns.udpPayloadSize)
            let extended = UInt32(rcode.rawValue >> 4)
            w.u32(extended << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            w.u16(UInt16(edns.options.count))
            w.bytes += edns.options
            additionalCount += 1
        }
        var flags: UInt16 = UInt16(opcode & 0xF) << 11 | UInt16(rcode.rawValue & 0xF)
        if isResponse { flags |= 0x8000 }
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        w.set(at: 2, flags)
        w.set(at: 6, counts[0])
        w.set(at: 8, counts[1])
        w.set(at: 10, additionalCount)
        return w.bytes
    }
}

struct DNSWriter {
    var bytes: [UInt8] = []
    /// Where each name suffix already written starts (lowercased), for compression pointers.
    var offsets: [String: Int] = [:]

    mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(v & 0xFF)] }

    mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xFFFF)) }

    mutating func set(at index: Int, _ v: UInt16) {
        bytes[index] = UInt8(v >> 8)
        bytes[index + 1] = UInt8(v & 0xFF)
    }

    /// Writes `name`, pointing at an earlier copy of its longest written suffix.
    mutating func name(_ name: String) {
        let labels = name.split(separator: ".", omittingEmptySubsequences: true).map { Array($0.utf8.prefix(63)) }
        for i in labels.indices {
            let suffix = labels[i...].map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".").lowercased()
            if let at = offsets[suffix] {
                u16(0xC000 | UInt16(at))
                return
            }
            if bytes.count < 0x3FFF { offsets[suffix] = bytes.count }
            bytes.append(UInt8(labels[i].count))
            bytes += labels[i]
        }
        bytes.append(0)
    }

    mutating func record(_ rr: DNSRecord) {
        name(rr.name)
        u16(rr.type.rawValue)
        u16(rr.dnsClass)
        u32(rr.ttl)
        let lengthAt = bytes.count
        u16(0)
        switch rr.data {
        case .a(let b), .aaaa(let b), .other(_, let b): bytes += b
        case .cname(let n), .ptr(let n), .ns(let n): name(n)
        case .srv(let priority, let weight, let port, let target):
            u16(priority); u16(weight); u16(port)
            // RFC 2782: the target is not compressed.
            bytes += DNSWriter.uncompressed(target)
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            name(mname); name(rname)
            for v in [serial, refresh, retry, expire, minimum] { u32(v) }
        case .txt(let strings):
            for s in strings {
                let b = Array(s.utf8.prefix(255))
                bytes.append(UInt8(b.count))
                bytes += b
            }
        }
        set(at: lengthAt, UInt16(bytes.count - lengthAt - 2))
    }

    static func uncompressed(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.split(separator: ".") {
            let b = Array(label.utf8.prefix(63))
            out.append(UInt8(b.count))
            out += b
        }
        return out + [0]
    }
}
