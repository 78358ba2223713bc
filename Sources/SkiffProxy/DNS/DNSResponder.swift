import Logging

/// Turns a query's bytes into the response's bytes: the cluster zone from `ClusterDNSResolver`,
/// everything else from `DNSForwarder` (SERVFAIL when no upstream answers).
///
/// A message that cannot be decoded gets FORMERR when it has a header, else no answer; responses
/// sent to the server are ignored; an EDNS version other than 0 gets BADVERS. Over UDP an answer longer than the querier takes (512 bytes
/// without EDNS, else its advertised size) is cut to fit and marked truncated (TC), so the
/// querier retries over TCP.
public struct DNSResponder: Sendable {
    public let resolver: ClusterDNSResolver
    public let forwarder: DNSForwarder?
    let logger: Logger

    public init(resolver: ClusterDNSResolver, forwarder: DNSForwarder?, logger: Logger) {
        self.resolver = resolver
        self.forwarder = forwarder
        self.logger = logger
    }

    /// The response to send, or nil to send nothing.
    public func respond(to bytes: [UInt8], overTCP: Bool) async -> [UInt8]? {
        let query: DNSMessage
        do {
            query = try DNSMessage(decoding: bytes)
        } catch {
            guard let id = DNSMessage.headerID(bytes), bytes[2] & 0x80 == 0 else { return nil }
            var r = DNSMessage(id: id)
            r.isResponse = true
            r.rcode = .formatError
            return r.encode()
        }
        guard !query.isResponse else { return nil }
        if let edns = query.edns, edns.version != 0 {
            // RFC 6891 6.1.3: only EDNS version 0 is spoken here.
            return query.makeResponse(rcode: .badVersion).encode()
        }
        let limit = overTCP ? 65535 : query.maxUDPResponseSize
        switch resolver.resolve(query) {
        case .answer(let response):
            return response.encode(maxSize: limit)
        case .forward:
            guard let forwarder, let reply = await forwarder.forward(bytes, id: query.id, overTCP: overTCP) else {
                logger.debug("no upstream answered", metadata: ["name": "\(query.questions.first?.name ?? "")"])
                return query.makeResponse(rcode: .serverFailure).encode(maxSize: limit)
            }
            guard reply.count > limit else { return reply }
            guard let decoded = try? DNSMessage(decoding: reply) else {
                return query.makeResponse(rcode: .serverFailure).encode(maxSize: limit)
            }
            return decoded.encode(maxSize: limit)
        }
    }
}
