import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// How plugins are run: environment, stdin, errors and the timeout (with stand-in plugins
/// written as shell scripts).
@Suite(.enabled(if: access("/bin/sh", X_OK) == 0 && access("/bin/busybox", X_OK) == 0, "needs /bin/sh and busybox"))
struct NetworkPluginRunnerTests {
    func withPlugins(_ scripts: [String: String], timeout: Duration = .seconds(120),
                     _ body: (CNIPluginRunner, String) async throws -> Void) async throws {
        let dir = "/tmp/skiffnet-plugins-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, script) in scripts {
            // O_CLOEXEC: a process spawned meanwhile must not keep it open for writing (ETXTBSY).
            let fd = open("\(dir)/\(name)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
            #expect(fd >= 0)
            let bytes = Array("#!/bin/sh\n\(script)\n".utf8)
            #expect(write(fd, bytes, bytes.count) == bytes.count)
            close(fd)
        }
        try await body(try CNIPluginRunner(pluginDirectory: dir, scratchDirectory: dir, hostNetnsPath: nil, timeout: timeout), dir)
    }

    @Test func aPluginGetsTheCNIEnvironmentAndItsConfigOnStdin() async throws {
        try await withPlugins(["echoer": #"printf '{"env":"%s %s %s %s %s","args":"%s","stdin":%s}' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_NETNS" "$CNI_IFNAME" "$CNI_PATH" "$CNI_ARGS" "$(cat)""#]) { runner, dir in
            var inv = CNIInvocation(command: "ADD", containerID: "uid-1", netns: "/run/netns/x", ifName: "eth0")
            inv.args = [("IgnoreUnknown", "1"), ("K8S_POD_NAME", "web")]
            let out = try await runner.run("echoer", inv, config: ["name": "skiff", "type": "echoer"])
            let j = try JSON.parse(out)
            #expect(j["env"]?.string == "ADD uid-1 /run/netns/x eth0 \(dir)")
            #expect(j["args"]?.string == "IgnoreUnknown=1;K8S_POD_NAME=web")
            #expect(j["stdin"] == ["name": "skiff", "type": "echoer"])
        }
    }

    @Test func aPluginsErrorObjectIsThrown() async throws {
        try await withPlugins(["failer": #"echo '{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"try later"}'; exit 1"#]) { runner, _ in
            let e = try await #require(throws: NetworkError.self) {
                _ = try await runner.run("failer", CNIInvocation(command: "DEL", containerID: "c", netns: "", ifName: "eth0"), config: [:])
            }
            #expect(e.code == .pluginFailed && e.cniCode == 11)
            #expect(e.message == "CNI plugin failer DEL failed: busy (try later) [CNI error 11: try again later]")
        }
    }

    @Test func aMissingPluginIsNotFound() async throws {
        try await withPlugins([:]) { runner, dir in
            let e = try await #require(throws: NetworkError.self) {
                _ = try await runner.run("bridge", CNIInvocation(command: "ADD", containerID: "c", netns: "", ifName: "eth0"), config: [:])
            }
            #expect(e.code == .pluginNotFound)
            #expect(e.message.contains("\"bridge\" not found in \(dir)"))
        }
    }

    @Test func aHungPluginIsKilledAtTheTimeout() async throws {
        try await withPlugins(["hang": "exec /bin/busybox sleep 30"], timeout: .milliseconds(300)) { runner, _ in
            let e = try await #require(throws: NetworkError.self) {
                _ = try await runner.run("hang", CNIInvocation(command: "ADD", containerID: "c", netns: "", ifName: "eth0"), config: [:])
            }
            #expect(e.code == .pluginFailed && e.message.contains("did not finish"), "\(e)")
        }
    }
}
