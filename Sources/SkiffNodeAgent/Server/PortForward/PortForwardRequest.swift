/// `/portForward/{namespace}/{pod}` (or with the Pod's UID after the name) and its `port`
/// parameters, which the SPDY protocol may leave out (each stream names its port).
struct PortForwardRequest: Sendable, Equatable {
    var namespace: String
    var pod: String
    var ports: [Int]

    /// The protocol names of `kubectl port-forward`: SPDY/3.1 with `portforward.k8s.io`
    /// (`X-Stream-Protocol-Version`), and the same SPDY frames tunnelled in WebSocket binary
    /// messages (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl 1.31 and later).
    static let spdyProtocol = "portforward.k8s.io"
    static let tunnelProtocol = "SPDY/3.1+portforward.k8s.io"

    /// Nil when the target is not a port forward; throws when its parameters are wrong.
    static func parse(_ target: KubeletRequestTarget) throws(KubeletStreamingError) -> PortForwardRequest? {
        let s = target.segments
        guard s.first == "portForward" else { return nil }
        guard s.count == 3 || s.count == 4 else { throw .notFound("404 page not found") }
        var ports: [Int] = []
        for value in target.all("port") {
            guard let p = Int(value), p > 0, p < 65536 else {
                throw .badRequest("error parsing port \"\(value)\": invalid port")
            }
            ports.append(p)
        }
        return PortForwardRequest(namespace: s[1], pod: s[2], ports: ports)
    }

    /// Whether one of the offered values (comma-separated, in any of the headers) is `name`.
    static func offers(_ headers: [String], _ name: String) -> Bool {
        headers.contains { h in h.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == name } }
    }
}
