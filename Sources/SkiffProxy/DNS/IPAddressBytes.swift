#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Textual IP addresses to and from their bytes.
enum IPAddressBytes {
    /// 4 bytes for an IPv4 address, 16 for IPv6, nil otherwise.
    static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var addr = in6_addr()
            guard inet_pton(AF_INET6, text, &addr) == 1 else { return nil }
            return withUnsafeBytes(of: &addr) { Array($0) }
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes.prefix(16)) }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return "" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address a reverse name stands for: `4.3.2.1.in-addr.arpa` is 1.2.3.4; `ip6.arpa`
    /// names have 32 nibbles.
    static func fromReverseName(_ name: String) -> [UInt8]? {
        let labels = name.split(separator: ".").map(String.init)
        if name.hasSuffix(".in-addr.arpa"), labels.count == 6 {
            return parse(labels[0..<4].reversed().joined(separator: "."))
        }
        if name.hasSuffix(".ip6.arpa"), labels.count == 34 {
            let nibbles = labels[0..<32].reversed().compactMap { UInt8($0, radix: 16) }
            guard nibbles.count == 32, labels[0..<32].allSatisfy({ $0.count == 1 }) else { return nil }
            return stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
        }
        return nil
    }

    /// `10-42-0-5` for 10.42.0.5, as CoreDNS names Pods and unnamed endpoints; IPv6 with `-` for `:`.
    static func dashed(_ text: String) -> String { text.replacingColonsAndDots() }

    /// The address in a dashed name (`10-42-0-5`, `fd00--1`).
    static func fromDashed(_ label: String) -> [UInt8]? {
        if let v4 = parse(label.split(separator: "-", omittingEmptySubsequences: false).joined(separator: ".")), v4.count == 4 {
            return v4
        }
        let v6 = String(label.map { $0 == "-" ? ":" : $0 })
        return v6.contains(":") ? parse(v6) : nil
    }
}

extension String {
    fileprivate func replacingColonsAndDots() -> String { String(map { $0 == "." || $0 == ":" ? "-" : $0 }) }
}
