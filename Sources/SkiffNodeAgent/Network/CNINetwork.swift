import Foundation
import Glibc
import SkiffModel

/// `PodNetwork` on the reference CNI plugins (`bridge`, `host-local`, `loopback`, `portmap`
/// from containernetworking-plugins), run as the CNI specification 1.0.0 says.
///
/// Each Pod is attached as container `metadata.uid`: `loopback` brings `lo` up (the bridge
/// plugin does not), then the list `bridge` (+ `host-local` IPAM) and, when the Pod has
/// hostPorts, `portmap` runs as a chain, `eth0` in the Pod's namespace joined to the node's
/// bridge. The chain's result is cached under `<dataDirectory>/results`, so DEL and CHECK get
/// `prevResult` and the configuration ADD used, even after the agent restarts.
///
/// Calls for different Pods may run concurrently (host-local and iptables lock on their own);
/// calls for one Pod must not overlap.
///
/// ```swift
/// let network = try CNINetwork(configuration: .init(
///     podCIDRs: [node.spec.podCIDR], dataDirectory: "\(dataDir)/cni"))
/// let ips = try await network.setUp(pod: pod, netnsPath: "/run/netns/skiff-\(uid)")
/// ...
/// try await network.tearDown(pod: pod, netnsPath: "/run/netns/skiff-\(uid)")
/// ```
public final class CNINetwork: PodNetwork {
    /// How the node's pod network is set up. Defaults are those of a one-node cluster.
    public struct Configuration: Sendable {
        /// Where the plugin binaries are; passed to them as `CNI_PATH`.
        public var pluginDirectory: String
        /// The CNI network name (host-local keeps its leases under `<ipam>/<networkName>`).
        public var networkName: String
        /// The node's Linux bridge the Pods' veths join; it gets the first address of each CIDR.
        public var bridgeName: String
        /// The node's `spec.podCIDRs` (IPv4 first); each is one host-local range set.
        public var podCIDRs: [String]
        /// The network's state: `ipam/` (host-local leases), `results/` (cached results).
        public var dataDirectory: String
        /// The MTU of the veths and the bridge; nil leaves the bridge plugin's default (1500).
        public var mtu: Int?
        /// The bridge address is the Pods' default route.
        public var isDefaultGateway: Bool
        /// Traffic from Pods to outside the pod CIDR is masqueraded.
        public var ipMasq: Bool
        /// A Pod can reach itself through a hostPort or Service address.
        public var hairpinMode: Bool
        /// When set, the plugins run inside this network namespace (through
        /// `nsenter --net=<path>`) instead of the agent's own: tests give each run a "host"
        /// namespace of its own this way. nil in production.
        public var hostNetnsPath: String?
        /// A plugin still running after this long is killed and its call fails.
        public var pluginTimeout: Duration

        public init(podCIDRs: [String], dataDirectory: String, pluginDirectory: String = "/usr/lib/cni",
                    networkName: String = "skiff", bridgeName: String = "skiff0", mtu: Int? = nil,
                    isDefaultGateway: Bool = true, ipMasq: Bool = true, hairpinMode: Bool = true,
                    hostNetnsPath: String? = nil, pluginTimeout: Duration = .seconds(120)) {
            self.podCIDRs = podCIDRs
            self.dataDirectory = dataDirectory
            self.pluginDirectory = pluginDirectory
            self.networkName = networkName
            self.bridgeName = bridgeName
            self.mtu = mtu
            self.isDefaultGateway = isDefaultGateway
            self.ipMasq = ipMasq
            self.hairpinMode = hairpinMode
            self.hostNetnsPath = hostNetnsPath
            self.pluginTimeout = pluginTimeout
        }

        var ipamDirectory: String { "\(dataDirectory)/ipam" }
        var resultsDirectory: String { "\(dataDirectory)/results" }
    }

    /// The plugins this network runs.
    public static let requiredPlugins = ["bridge", "host-local", "loopback", "portmap"]

    public let configuration: Configuration
    let runner: CNIPluginRunner
    let cache: CNIResultCache

    /// Checks the configuration and that every plugin is installed, and creates the data
    /// directory. Throws `NetworkError` (`pluginNotFound`, `invalidConfiguration`, `io`).
    public init(configuration: Configuration) throws {
        guard !configuration.podCIDRs.isEmpty else {
            throw NetworkError(.invalidConfiguration, "no pod CIDR: the node has no spec.podCIDR")
        }
        for cidr in configuration.podCIDRs { try Self.validateCIDR(cidr) }
        if let mtu = configuration.mtu, !(68...65535).contains(mtu) {
            throw NetworkError(.invalidConfiguration, "MTU \(mtu) is not between 68 and 65535")
        }
        self.configuration = configuration
        runner = try CNIPluginRunner(pluginDirectory: configuration.pluginDirectory,
                                     scratchDirectory: configuration.dataDirectory,
                                     hostNetnsPath: configuration.hostNetnsPath,
                                     timeout: configuration.pluginTimeout)
        try runner.requirePlugins(Self.requiredPlugins)
        cache = CNIResultCache(directory: configuration.resultsDirectory)
        for dir in [configuration.dataDirectory, configuration.ipamDirectory, configuration.resultsDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw NetworkError(.io, "create \(dir): \(error)")
            }
        }
    }

    /// Attaches the Pod (ADD): `lo` up, `eth0` on the bridge with an address from the pod
    /// CIDRs, its hostPorts mapped. Returns the Pod's IPs, IPv4 first.
    ///
    /// If the Pod is already attached (a cached result whose CHECK passes, as after an agent
    /// restart) its IPs are returned unchanged; a stale attachment is deleted first. When a
    /// plugin fails, what the chain had done is undone (DEL) before the error is thrown.
    public func setUp(pod: JSON, netnsPath: String) async throws -> [String] {
        let uid = try Self.uid(of: pod)
        if let entry = cache.load(network: configuration.networkName, containerID: uid, ifName: Self.podInterface) {
            if (try? await check(pod: pod, netnsPath: netnsPath)) != nil { return Self.podIPs(from: entry.result) }
            try await tearDown(pod: pod, netnsPath: netnsPath)
        }
        let mappings = try Self.portMappings(of: pod, podCIDRs: configuration.podCIDRs)
        let runtimeConfig: JSON = ["portMappings": .array(mappings.map(\.json))]
        let list = Self.networkConfigList(configuration, withPortMap: !mappings.isEmpty)
        let args = Self.cniArgs(pod: pod, uid: uid)
        var lo = CNIInvocation(command: "ADD", containerID: uid, netns: netnsPath, ifName: "lo")
        lo.args = args
        _ = try await runner.run("loopback", lo, config: Self.loopbackConfig)

        var invocation = CNIInvocation(command: "ADD", containerID: uid, netns: netnsPath, ifName: Self.podInterface)
        invocation.args = args
        var prev: JSON?
        do {
            for plugin in list["plugins"]?.array ?? [] {
                let type = plugin["type"]?.string ?? ""
                let conf = Self.pluginConfig(plugin, list: list, prevResult: prev, runtimeConfig: runtimeConfig)
                let out = try await runner.run(type, invocation, config: conf)
                guard let result = try? JSON.parse(out), result.object != nil else {
                    throw NetworkError(.invalidResult, "CNI plugin \(type) ADD printed no result: \(String(decoding: out.prefix(200), as: UTF8.self))")
                }
                prev = result
            }
            let result = prev ?? [:]
            let ips = Self.podIPs(from: result)
            if ips.isEmpty { throw NetworkError(.invalidResult, "CNI network \(configuration.networkName) gave the Pod no IP address") }
            try cache.save(.init(containerID: uid, ifName: Self.podInterface, networkName: configuration.networkName,
                                 config: list, runtimeConfig: runtimeConfig, result: result))
            return ips
        } catch {
            let partial = CNIResultCache.Entry(containerID: uid, ifName: Self.podInterface, networkName: configuration.networkName,
                                               config: list, runtimeConfig: runtimeConfig, result: prev ?? [:])
            try? await delete(partial, pod: pod, netnsPath: netnsPath, hadResult: prev != nil)
            throw error
        }
    }

    /// Checks the Pod's attachment (CHECK of every plugin with the cached result); throws when
    /// it is not attached or a plugin finds it broken.
    public func check(pod: JSON, netnsPath: String) async throws {
        let uid = try Self.uid(of: pod)
        guard let entry = cache.load(network: configuration.networkName, containerID: uid, ifName: Self.podInterface) else {
            throw NetworkError(.invalidPod, "pod \(uid) is not attached to network \(configuration.networkName)")
        }
        var invocation = CNIInvocation(command: "CHECK", containerID: uid, netns: netnsPath, ifName: Self.podInterface)
        invocation.args = Self.cniArgs(pod: pod, uid: uid)
        for plugin in entry.config["plugins"]?.array ?? [] {
            let conf = Self.pluginConfig(plugin, list: entry.config, prevResult: entry.result, runtimeConfig: entry.runtimeConfig)
            _ = try await runner.run(plugin["type"]?.string ?? "", invocation, config: conf)
        }
    }

    /// Detaches the Pod (DEL, plugins in reverse order): its hostPort rules, veth and lease go.
    /// Uses the configuration ADD used when it is cached, else the current one (with portmap).
    /// Idempotent; a namespace that is gone is passed as an empty `CNI_NETNS`, as containerd
    /// does, and the plugins then release what lives outside it.
    public func tearDown(pod: JSON, netnsPath: String) async throws {
        let uid = try Self.uid(of: pod)
        let cached = cache.load(network: configuration.networkName, containerID: uid, ifName: Self.podInterface)
        let entry: CNIResultCache.Entry
        if let cached {
            entry = cached
        } else {
            let mappings = (try? Self.portMappings(of: pod, podCIDRs: configuration.podCIDRs)) ?? []
            entry = .init(containerID: uid, ifName: Self.podInterface, networkName: configuration.networkName,
                          config: Self.networkConfigList(configuration, withPortMap: true),
                          runtimeConfig: ["portMappings": .array(mappings.map(\.json))], result: [:])
        }
        try await delete(entry, pod: pod, netnsPath: netnsPath, hadResult: cached != nil)
        cache.remove(network: configuration.networkName, containerID: uid, ifName: Self.podInterface)
    }

    /// The IPs of a Pod attached earlier (from the cached result), or nil.
    public func cachedIPs(podUID: String) -> [String]? {
        cache.load(network: configuration.networkName, containerID: podUID, ifName: Self.podInterface).map { Self.podIPs(from: $0.result) }
    }

    /// The uids of the Pods with a cached attachment: after a restart, the agent tears down
    /// those whose Pod is gone (`tearDown(pod: ["metadata": ["uid": .string(uid)]], netnsPath:)`).
    public func attachedPodUIDs() -> [String] {
        cache.containerIDs(network: configuration.networkName, ifName: Self.podInterface)
    }

    /// DEL of every plugin of the entry's list in reverse order, then of loopback. Every plugin
    /// runs even when one fails; the first error is thrown.
    func delete(_ entry: CNIResultCache.Entry, pod: JSON, netnsPath: String, hadResult: Bool) async throws {
        let netns = Self.isNetworkNamespace(netnsPath) ? netnsPath : ""
        var invocation = CNIInvocation(command: "DEL", containerID: entry.containerID, netns: netns, ifName: entry.ifName)
        invocation.args = Self.cniArgs(pod: pod, uid: entry.containerID)
        var firstError: (any Error)?
        for plugin in (entry.config["plugins"]?.array ?? []).reversed() {
            let conf = Self.pluginConfig(plugin, list: entry.config, prevResult: hadResult ? entry.result : nil,
                                         runtimeConfig: entry.runtimeConfig)
            do {
                _ = try await runner.run(plugin["type"]?.string ?? "", invocation, config: conf)
            } catch {
                firstError = firstError ?? error
            }
        }
        if netns.isEmpty, hadResult, configuration.ipMasq {
            // The bridge plugin skips its masquerade rules when the namespace is gone.
            do { try await removeMasquerade(entry) } catch { firstError = firstError ?? error }
        }
        if !netns.isEmpty {
            var lo = invocation
            lo.ifName = "lo"
            do { _ = try await runner.run("loopback", lo, config: Self.loopbackConfig) } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
    }

    static func uid(of pod: JSON) throws -> String {
        guard let uid = pod["metadata", "uid"]?.string, !uid.isEmpty else {
            throw NetworkError(.invalidPod, "pod \(pod["metadata", "namespace"]?.string ?? "")/\(pod["metadata", "name"]?.string ?? "") has no metadata.uid")
        }
        guard uid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw NetworkError(.invalidPod, "metadata.uid \"\(uid)\" is not a valid CNI container ID")
        }
        return uid
    }

    /// Whether `path` is a pinned namespace: a file of the nsfs file system, which every
    /// namespace file shares with this process's own `/proc/self/ns/net`.
    static func isNetworkNamespace(_ path: String) -> Bool {
        guard !path.isEmpty else { return false }
        var st = stat(), own = stat()
        guard stat(path, &st) == 0, stat("/proc/self/ns/net", &own) == 0 else { return false }
        return st.st_dev == own.st_dev
    }
}
