import Foundation
import Logging
import SkiffClient
import SkiffModel

/// The cluster DNS (CoreDNS with the `kubernetes` and `forward` plugins): keeps Services and
/// EndpointSlices in informers, and serves the zone from them on UDP and TCP; other names go to
/// the upstream nameservers.
///
/// `run()` waits for both informers' first list before it binds, so the first answers already
/// know every Service, then serves until cancelled.
///
/// ```swift
/// var c = ClusterDNS.Configuration(listenAddress: "10.42.0.1")
/// c.upstreams = try ClusterDNS.upstreams(resolvConfPath: "/etc/resolv.conf", excluding: ["10.42.0.1"])
/// try await ClusterDNS(configuration: c, client: client, logger: logger).run()
/// ```
public struct ClusterDNS: Sendable {
    public struct Configuration: Sendable {
        /// The address to serve on (the Pods' bridge gateway, bound before it exists).
        public var listenAddress: String
        public var port = 53
        /// Bind with IP_FREEBIND (the address need not exist yet). Default true.
        public var freeBind = true
        /// The cluster domain; default `cluster.local`.
        public var zone = "cluster.local"
        /// The TTL of every record; default 5 s, as CoreDNS.
        public var ttl: UInt32 = 5
        /// Where names outside the zone go; none: such queries get SERVFAIL.
        public var upstreams: [DNSForwarder.Upstream] = []
        /// How long each upstream may take to answer. Default 2 s.
        public var upstreamTimeout: Duration = .seconds(2)

        public init(listenAddress: String, port: Int = 53) {
            self.listenAddress = listenAddress
            self.port = port
        }
    }

    public let configuration: Configuration
    let client: Client
    let logger: Logger

    public init(configuration: Configuration, client: Client, logger: Logger) {
        self.configuration = configuration
        self.client = client
        var logger = logger
        logger[metadataKey: "component"] = "cluster-dns"
        self.logger = logger
    }

    /// The nameservers of the resolv.conf at `path` (see `DNSForwarder.upstreams(resolvConf:excluding:)`);
    /// throws when it cannot be read.
    public static func upstreams(resolvConfPath path: String, excluding: Set<String> = []) throws -> [DNSForwarder.Upstream] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return DNSForwarder.upstreams(resolvConf: text, excluding: excluding)
    }

    /// The address a node's cluster DNS serves on: the first host address of its first IPv4
    /// Pod CIDR (`10.42.0.0/24` gives `10.42.0.1`), which the CNI bridge takes as the Pods'
    /// gateway; nil when there is no IPv4 CIDR.
    public static func gatewayAddress(podCIDRs: [String]) -> String? {
        for cidr in podCIDRs {
            let parts = cidr.split(separator: "/")
            guard parts.count == 2, let bits = Int(parts[1]), (0...30).contains(bits),
                  let base = IPAddressBytes.parse(String(parts[0])), base.count == 4 else { continue }
            let value = base.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            let first = (value & mask) + 1
            return IPAddressBytes.format([UInt8(first >> 24), UInt8((first >> 16) & 0xFF), UInt8((first >> 8) & 0xFF), UInt8(first & 0xFF)])
        }
        return nil
    }

    /// Lists and watches Services and EndpointSlices, then serves until cancelled.
    /// `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let services = Informer(client: client, resource: .services, indexers: InformerDNSSource.serviceIndexers, logger: logger)
        let slices = Informer(client: client, resource: .endpointSlices, indexers: InformerDNSSource.sliceIndexers, logger: logger)
        let source = InformerDNSSource(services: services.lister, endpointSlices: slices.lister)
        let serial = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
        let resolver = ClusterDNSResolver(configuration: .init(zone: configuration.zone, ttl: configuration.ttl), source: source, serial: serial)
        let forwarder = DNSForwarder(upstreams: configuration.upstreams, timeout: configuration.upstreamTimeout, logger: logger)
        var serverConfiguration = DNSServer.Configuration(host: configuration.listenAddress, port: configuration.port,
                                                          freeBind: configuration.freeBind)
        serverConfiguration.tcpIdleTimeout = .seconds(10)
        let server = DNSServer(configuration: serverConfiguration,
                               responder: DNSResponder(resolver: resolver, forwarder: forwarder, logger: logger), logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await services.run() }
            group.addTask { try await slices.run() }
            try await services.waitForSync()
            try await slices.waitForSync()
            group.addTask { try await server.run(onListening: onListening) }
        }
    }
}
