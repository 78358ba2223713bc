/// A host port a container asks for: protocol, host IP (`0.0.0.0` when unset) and port.
public struct HostPort: Sendable, Hashable {
    public var ip: String
    public var proto: String
    public var port: Int64

    public init(ip: String = "0.0.0.0", proto: String = "TCP", port: Int64) {
        self.ip = ip.isEmpty ? "0.0.0.0" : ip
        self.proto = proto.isEmpty ? "TCP" : proto
        self.port = port
    }

    /// Whether two host ports cannot both be bound: same protocol and port, and the same IP or
    /// either one the wildcard `0.0.0.0`.
    public func conflicts(with other: HostPort) -> Bool {
        guard port == other.port, proto == other.proto else { return false }
        return ip == other.ip || ip == "0.0.0.0" || other.ip == "0.0.0.0"
    }
}
