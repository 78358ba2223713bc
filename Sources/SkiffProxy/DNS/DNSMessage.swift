/// A DNS message (RFC 1035 section 4): header, question, answer, authority and additional
/// sections. The EDNS0 OPT pseudo-record (RFC 6891) is kept in `edns`, not in `additionals`.
///
/// Names are dotted strings without the trailing dot (`web.default.svc.cluster.local`; the root
/// is `""`). Decoding follows compression pointers; encoding compresses names
/// (`encode(maxSize:)`).
public struct DNSMessage: Sendable, Hashable {
    public var id: UInt16 = 0
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    /// The response code; the header holds its low four bits, the OPT record the upper eight.
    public var rcode: DNSResponseCode = .noError
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authorities: [DNSRecord] = []
    public var additionals: [DNSRecord] = []
    public var edns: EDNS?

    public init(id: UInt16 = 0) { self.id = id }

    /// The EDNS0 OPT record's fields.
    public struct EDNS: Sendable, Hashable {
        /// The largest UDP payload the sender can take.
        public var udpPayloadSize: UInt16
        public var version: UInt8 = 0
        public var dnssecOK = false
        public var options: [UInt8] = []

        public init(udpPayloadSize: UInt16, dnssecOK: Bool = false) {
            self.udpPayloadSize = udpPayloadSize
            self.dnssecOK = dnssecOK
        }
    }

    /// The largest UDP response the querier accepts: 512 without EDNS (RFC 1035), else the
    /// advertised size (never below 512).
    public var maxUDPResponseSize: Int {
        guard let edns else { return 512 }
        return max(512, Int(edns.udpPayloadSize))
    }

    /// A response to this query: same id, opcode, question and recursion-desired bit.
    public func makeResponse(rcode: DNSResponseCode = .noError) -> DNSMessage {
        var r = DNSMessage(id: id)
        r.isResponse = true
        r.opcode = opcode
        r.recursionDesired = recursionDesired
        r.recursionAvailable = true
        r.rcode = rcode
        r.questions = questions
        if edns != nil { r.edns = EDNS(udpPayloadSize: 1232, dnssecOK: edns?.dnssecOK ?? false) }
        return r
    }
}

public struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let noError = Self(rawValue: 0)
    public static let formatError = Self(rawValue: 1)
    public static let serverFailure = Self(rawValue: 2)
    public static let nameError = Self(rawValue: 3)
    public static let notImplemented = Self(rawValue: 4)
    public static let refused = Self(rawValue: 5)
    /// EDNS's BADVERS (16): its upper eight bits travel in the OPT record.
    public static let badVersion = Self(rawValue: 16)
    public var description: String {
        ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"].indices.contains(Int(rawValue))
            ? ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][Int(rawValue)] : "RCODE\(rawValue)"
    }
}

public struct DNSRecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let a = Self(rawValue: 1)
    public static let ns = Self(rawValue: 2)
    public static let cname = Self(rawValue: 5)
    public static let soa = Self(rawValue: 6)
    public static let ptr = Self(rawValue: 12)
    public static let txt = Self(rawValue: 16)
    public static let aaaa = Self(rawValue: 28)
    public static let srv = Self(rawValue: 33)
    public static let opt = Self(rawValue: 41)
    public static let any = Self(rawValue: 255)
    public var description: String {
        let names: [UInt16: String] = [1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV", 41: "OPT", 255: "ANY"]
        return names[rawValue] ?? "TYPE\(rawValue)"
    }
}

public struct DNSQuestion: Sendable, Hashable {
    public var name: String
    public var type: DNSRecordType
    /// 1 (IN) for every query Skiff answers.
    public var dnsClass: UInt16

    public init(name: String, type: DNSRecordType, dnsClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
    }
}

public struct DNSRecord: Sendable, Hashable {
    public var name: String
    public var dnsClass: UInt16 = 1
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: String, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSRecordType { data.type }
}

public enum DNSRecordData: Sendable, Hashable {
    /// Four bytes.
    case a([UInt8])
    /// Sixteen bytes.
    case aaaa([UInt8])
    case cname(String)
    case ptr(String)
    case ns(String)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case soa(mname: String, rname: String, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32)
    case txt([String])
    /// Any other type, kept as its raw RDATA.
    case other(DNSRecordType, [UInt8])

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ptr: .ptr
        case .ns: .ns
        case .srv: .srv
        case .soa: .soa
        case .txt: .txt
        case .other(let t, _): t
        }
    }
}

/// Why a message could not be decoded.
public struct DNSFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "malformed DNS message: \(message)" }
}
