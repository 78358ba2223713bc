import Foundation
import Glibc
import SkiffModel
@testable import SkiffNodeAgent

/// A "host" network namespace of its own (no route out) in which the CNI plugins run, Pod
/// namespaces made with `ip netns add`, and a `CNINetwork` with its state in a temporary
/// directory. `with` removes all of it, also when the test fails.
final class NetworkFixture: @unchecked Sendable {
    static let pluginDirectory = "/usr/lib/cni"

    /// Why the network tests cannot run here, or nil when they can.
    static var unavailable: String? {
        if getuid() != 0 { return "network tests need root" }
        for p in CNINetwork.requiredPlugins where access("\(pluginDirectory)/\(p)", X_OK) != 0 {
            return "CNI plugin \(p) is not installed (scripts/install-deps: containernetworking-plugins)"
        }
        for tool in ["ip", "iptables", "nsenter"] where RuncRuntime.findOnPath(tool) == nil {
            return "\(tool) is not installed (scripts/install-deps)"
        }
        if access("/bin/busybox", X_OK) != 0 { return "busybox-static is not installed (scripts/install-deps)" }
        return nil
    }

    static var available: Bool { unavailable == nil }

    let prefix = "skiffnet-\(UUID().uuidString.prefix(8).lowercased())"
    let dir: String
    let host: String
    private(set) var namespaces: [String] = []
    private(set) var network: CNINetwork!
    /// Runs commands the way the network runs its plugins (no host namespace of its own).
    let shell: CNIPluginRunner

    private init() throws {
        dir = "/tmp/\(prefix)"
        host = "\(prefix)-host"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        shell = try CNIPluginRunner(pluginDirectory: Self.pluginDirectory, scratchDirectory: dir, hostNetnsPath: nil)
    }

    static func with(cidr: String = "10.42.0.0/24", _ body: (NetworkFixture) async throws -> Void) async throws {
        let f = try NetworkFixture()
        do {
            try await f.addNamespace(f.host)
            try await f.run(["ip", "netns", "exec", f.host, "ip", "link", "set", "lo", "up"])
            f.network = try CNINetwork(configuration: .init(
                podCIDRs: [cidr], dataDirectory: "\(f.dir)/cni", pluginDirectory: pluginDirectory,
                hostNetnsPath: f.netnsPath(f.host)))
            try await body(f)
        } catch {
            await f.cleanUp()
            throw error
        }
        await f.cleanUp()
    }

    func netnsPath(_ name: String) -> String { "/run/netns/\(name)" }

    func addNamespace(_ name: String) async throws {
        try await run(["ip", "netns", "add", name])
        namespaces.append(name)
    }

    /// A Pod object and a fresh namespace for it.
    func pod(_ name: String, ports: [JSON] = []) async throws -> (pod: JSON, netns: String) {
        let ns = "\(prefix)-\(name)"
        try await addNamespace(ns)
        var container: JSON = ["name": "c", "image": "busybox"]
        if !ports.isEmpty { container["ports"] = .array(ports) }
        let pod: JSON = [
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string(UUID().uuidString.lowercased())],
            "spec": ["containers": [container]],
        ]
        return (pod, netnsPath(ns))
    }

    /// Runs a command; returns its exit code and stdout+stderr.
    @discardableResult
    func run(_ argv: [String], check: Bool = true) async throws -> (Int32, String) {
        guard let program = argv.first.flatMap({ $0.hasPrefix("/") ? $0 : RuncRuntime.findOnPath($0) }) else {
            throw NetworkError(.io, "\(argv.first ?? "") not found")
        }
        let (status, out, err) = try await shell.exec(program, arguments: Array(argv.dropFirst()))
        let text = String(decoding: out + err, as: UTF8.self)
        if check && status != 0 { throw NetworkError(.io, "\(argv.joined(separator: " ")) exited \(status): \(text)") }
        return (status, text)
    }

    /// Runs a command inside a named namespace.
    @discardableResult
    func inside(_ ns: String, _ argv: [String], check: Bool = true) async throws -> (Int32, String) {
        try await run(["ip", "netns", "exec", ns] + argv, check: check)
    }

    func name(of netnsPath: String) -> String { String(netnsPath.split(separator: "/").last ?? "") }

    /// Interfaces of the host namespace whose name starts with `prefix`.
    func hostLinks(_ prefix: String) async throws -> [String] {
        let (_, out) = try await inside(host, ["ip", "-o", "link", "show"])
        return out.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", maxSplits: 2)
            guard f.count >= 2 else { return nil }
            let name = f[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            return name.hasPrefix(prefix) ? name : nil
        }
    }

    func natRules() async throws -> String {
        try await inside(host, ["iptables", "-w", "-t", "nat", "-S"]).1
    }

    func leaseFile(_ ip: String) -> String { "\(dir)/cni/ipam/\(network.configuration.networkName)/\(ip)" }

    /// Serves `reply` once on TCP `port` inside `ns` (gives up after 10 s).
    func serveOnce(_ ns: String, port: Int, reply: String) -> Task<Void, Never> {
        Task { _ = try? await inside(ns, ["busybox", "timeout", "10", "busybox", "nc", "-l", "-p", String(port), "-e", "busybox", "echo", reply], check: false) }
    }

    /// What a TCP connection from `ns` to `address:port` receives; retried until the server listens (5 s).
    func fetch(from ns: String, _ address: String, port: Int) async throws -> String {
        let deadline = Date().addingTimeInterval(5)
        while true {
            let (status, out) = try await inside(ns, ["busybox", "timeout", "3", "busybox", "nc", "-w", "2", address, String(port)], check: false)
            let text = out.trimmingCharacters(in: .whitespacesAndNewlines)
            if status == 0 && !text.isEmpty { return text }
            if Date() > deadline { return "(no answer: \(status) \(text))" }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    func cleanUp() async {
        for ns in namespaces.reversed() {
            _ = try? await run(["ip", "netns", "delete", ns], check: false)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
