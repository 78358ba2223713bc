import Foundation
import Glibc
import Testing
@testable import SkiffNodeAgent

@Suite(.enabled(if: getuid() == 0, "pinning namespaces needs root"))
struct AgentSandboxTests {
    /// Runs a command and returns its output.
    func run(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func pinsNamespacesWithHostnameAndLoopbackUpThenRemovesThem() async throws {
        let dir = "/tmp/skiff-sandbox-test-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let box = try await PodSandbox.create(podDir: dir, hostname: "web-0", hostNetwork: false, hostIPC: false)
        #expect(box.netPath == dir + "/ns/net" && box.ipcPath == dir + "/ns/ipc" && box.utsPath == dir + "/ns/uts")
        for p in [box.netPath!, box.ipcPath!, box.utsPath!] { #expect(Namespaces.isPinned(p)) }
        #expect(try run(["nsenter", "--uts=\(box.utsPath!)", "hostname"]) == "web-0\n")
        #expect(try run(["nsenter", "--net=\(box.netPath!)", "cat", "/sys/class/net/lo/operstate"]) != "down\n")
        #expect(try run(["nsenter", "--net=\(box.netPath!)", "ip", "-o", "link", "show", "lo"]).contains("UP"))
        // The agent's own namespaces are untouched.
        #expect(try run(["readlink", "/proc/self/ns/net"]) == (try run(["readlink", "/proc/\(getpid())/ns/net"])))
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        #expect(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) != "web-0")
        // Idempotent: the same namespaces again.
        let inode = try run(["stat", "-L", "-c", "%i", box.netPath!])
        _ = try await PodSandbox.create(podDir: dir, hostname: "web-0", hostNetwork: false, hostIPC: false)
        #expect(try run(["stat", "-L", "-c", "%i", box.netPath!]) == inode)
        PodSandbox.remove(podDir: dir)
        #expect(!FileManager.default.fileExists(atPath: dir + "/ns"))
    }

    @Test func hostNetworkKeepsTheHostsNetworkAndUTS() async throws {
        let dir = "/tmp/skiff-sandbox-test-\(UUID().uuidString.prefix(8))"
        defer { PodSandbox.remove(podDir: dir); try? FileManager.default.removeItem(atPath: dir) }
        let box = try await PodSandbox.create(podDir: dir, hostname: "x", hostNetwork: true, hostIPC: false)
        #expect(box.netPath == nil && box.utsPath == nil && box.ipcPath != nil)
        #expect(box.namespaces == .joinPaths(net: nil, ipc: dir + "/ns/ipc", uts: nil))
    }
}
