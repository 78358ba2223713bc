import Crypto

/// The names of the per-Service-port and per-endpoint chains, made as kube-proxy makes them
/// (`portProtoHash`, `servicePortEndpointChainName`): the first 16 characters of the base32
/// (RFC 4648) SHA-256 of the service port name and lower-case protocol (and endpoint), so a name is stable
/// across restarts and fits iptables' 28-character limit.
enum ChainName {
    static func service(_ port: ServicePort) -> String {
        "SKIFF-SVC-" + hash(port.name + port.iptablesProtocol)
    }

    static func endpoint(_ port: ServicePort, _ endpoint: Endpoint) -> String {
        "SKIFF-SEP-" + hash(port.name + port.iptablesProtocol + endpoint.description)
    }

    static func hash(_ text: String) -> String {
        String(base32(Array(SHA256.hash(data: Array(text.utf8)))).prefix(16))
    }

    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = (buffer << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return out
    }
}
