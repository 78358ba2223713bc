import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

@Suite(.enabled(if: RuntimeFixture.available, "\(RuntimeFixture.unavailable ?? "")"))
struct RuntimeRuncTests {
    @Test func printsEnvironmentToCRILog() async throws {
        try await withFixture { f in
            var s = f.spec("env", ["sh", "-c", "env; echo oops >&2"])
            s.env.append("GREETING=hello world")
            let (exit, lines) = try await f.run(s)
            #expect(exit == ExitStatus(exitCode: 0))
            #expect(exit.reason == "Completed")
            #expect(f.messages("env").contains("GREETING=hello world"))
            #expect(f.messages("env", stream: "stderr") == ["oops"])
            let pattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) F .*$/
            #expect(!lines.isEmpty)
            for line in lines { #expect(line.wholeMatch(of: pattern) != nil, "\(line)") }
        }
    }

    @Test func reportsExitCode() async throws {
        try await withFixture { f in
            let (exit, _) = try await f.run(f.spec("three", ["sh", "-c", "exit 3"]))
            #expect(exit.exitCode == 3)
            #expect(exit.signal == nil)
            #expect(exit.reason == "Error")
        }
    }

    @Test func overMemoryLimitIsOOMKilled() async throws {
        try await withFixture { f in
            let pod: JSON = [
                "metadata": ["uid": .string(f.podUID)],
                "spec": ["containers": [[
                    "name": "hog", "command": ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4"],
                    "resources": ["limits": ["memory": "16Mi", "cpu": "500m"]],
                ]]],
            ]
            let s = try ContainerSpec.forPod(pod, container: "hog", image: ImageConfig(), infraPid: nil,
                                             nodeMemoryBytes: FileSystem.memoryTotal())
            #expect(s.resources.memoryLimit == Int64(16 << 20))
            #expect(s.oomScoreAdj == -997)
            let (exit, _) = try await f.run(s)
            #expect(exit.exitCode == 137)
            #expect(exit.oomKilled)
            #expect(exit.reason == "OOMKilled")
        }
    }

    @Test func podContainersShareInfraNamespaces() async throws {
        try await withFixture { f in
            var infra = f.spec("infra", ["sleep", "3600"])
            infra.hostname = "pod-a"
            try await f.start(infra)
            let infraPid = try await f.runtime.state(id: f.id("infra")).pid
            #expect(infraPid > 0)
            let probe = ["sh", "-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; cat /proc/net/dev"]
            var outputs: [[String]] = []
            for name in ["one", "two"] {
                var s = f.spec(name, probe)
                s.namespaces = .joinProcess(infraPid)
                let (exit, _) = try await f.run(s)
                #expect(exit.exitCode == 0)
                outputs.append(f.messages(name))
            }
            #expect(outputs[0] == outputs[1])
            #expect(outputs[0].first == "pod-a")
            let hostNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
            #expect(outputs[0].count > 1 && outputs[0][1] != hostNet)
            // Only the loopback device in the Pod's network namespace.
            let devices = outputs[0].dropFirst(3).filter { $0.contains(":") && !$0.contains("|") }
            #expect(devices.map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) } == ["lo"])
            _ = try await f.runtime.stop(id: f.id("infra"), grace: 0)
            try await f.runtime.delete(id: f.id("infra"))
        }
    }

    @Test func stopSendsTermThenKillAfterGrace() async throws {
        try await withFixture { f in
            // A process without a SIGTERM handler, as pid 1 of its namespace, ignores SIGTERM.
            try await f.start(f.spec("stubborn", ["sleep", "3600"]))
            try await f.untilExeced("stubborn", comm: "sleep")
            let began = Date()
            let killed = try await f.runtime.stop(id: f.id("stubborn"), grace: 0.5)
            #expect(Date().timeIntervalSince(began) >= 0.5)
            #expect(killed.exitCode == 137 && killed.signal == SIGKILL && !killed.oomKilled)

            try await f.start(f.spec("polite", ["sh", "-c", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"]))
            try await f.until("polite to trap SIGTERM") { f.messages("polite").contains("ready") }
            let politeBegan = Date()
            let polite = try await f.runtime.stop(id: f.id("polite"), grace: 30)
            #expect(polite.exitCode == 0)
            #expect(Date().timeIntervalSince(politeBegan) < 10)
        }
    }

    @Test func execReturnsExitCodeAndOutput() async throws {
        try await withFixture { f in
            try await f.start(f.spec("box", ["sleep", "3600"]))
            #expect(try await f.runtime.state(id: f.id("box")).status == "running")
            let r = try await f.runtime.exec(id: f.id("box"), args: ["sh", "-c", "echo hi $V; exit 5"], env: ["V=there"])
            #expect(r.exitCode == 5, "\(String(decoding: r.stderr, as: UTF8.self))")
            #expect(String(decoding: r.stdout, as: UTF8.self) == "hi there\n")
            let ok = try await f.runtime.exec(id: f.id("box"), args: ["true"], env: [])
            #expect(ok.exitCode == 0)
            _ = try await f.runtime.stop(id: f.id("box"), grace: 0)
        }
    }

    @Test func deleteLeavesNothingBehind() async throws {
        try await withFixture { f in
            var s = f.spec("gone", ["sleep", "3600"])
            s.resources = ResourceSpec(cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100_000, memoryLimit: 64 << 20, pidsLimit: 100)
            try await f.start(s)
            let id = f.id("gone")
            let cgroupDirs = PodCgroups.directories(for: s.cgroupsPath)
            #expect(cgroupDirs.contains { $0.hasPrefix("/sys/fs/cgroup/memory/") || !$0.contains("/memory/") })
            if let mem = cgroupDirs.first(where: { $0.contains("/memory/") }) {
                #expect(FileSystem.read("\(mem)/memory.limit_in_bytes")?.hasPrefix("\(64 << 20)") == true)
            }
            try await f.runtime.update(id: id, resources: ResourceSpec(memoryLimit: 32 << 20))
            if let mem = cgroupDirs.first(where: { $0.contains("/memory/") }) {
                #expect(FileSystem.read("\(mem)/memory.limit_in_bytes")?.hasPrefix("\(32 << 20)") == true)
            }
            #expect(try await f.runtime.list().contains { $0.id == id })
            _ = try await f.runtime.stop(id: id, grace: 0)
            try await f.runtime.delete(id: id)
            PodCgroups.removePod(podUID: f.podUID)
            #expect(PodCgroups.directories(for: s.cgroupsPath).isEmpty)
            #expect(PodCgroups.directories(for: PodCgroups.podPath(podUID: f.podUID)).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "\(f.runtime.stateRoot)/\(id)"))
            #expect(!FileManager.default.fileExists(atPath: f.runtime.bundle(id)))
            #expect(try await !f.runtime.list().contains { $0.id == id })
        }
    }
}

/// Runs `body` with a fresh fixture and removes its containers, cgroups and files afterwards.
func withFixture(_ body: (RuntimeFixture) async throws -> Void) async throws {
    let f = try RuntimeFixture()
    do {
        try await body(f)
    } catch {
        await f.cleanUp()
        throw error
    }
    await f.cleanUp()
}
