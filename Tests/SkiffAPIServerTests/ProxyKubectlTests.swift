import Foundation
import NIOHTTP1
import Testing
@testable import SkiffAPIServer
@testable import SkiffNodeAgent

/// `kubectl logs` and `kubectl exec` through the API server to a node agent's `KubeletServer`,
/// with the real kubectl (WebSocket `v5.channel.k8s.io` for exec, chunked HTTP for logs).
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: FileManager.default.isExecutableFile(atPath: KubectlResult.path)))
struct ProxyKubectlTests {
    @Test func logsTailTimestampsLimitAndErrors() async throws {
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("web", containers: ["main"])
            let exited = try cluster.backend.run(pod: "web", container: "main", script: "printf 'one\\ntwo\\nthree\\n'")
            #expect(await exited() == 0)

            let all = try await cluster.kubectl(["logs", "web"])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stdout == "one\ntwo\nthree\n")
            #expect(try await cluster.kubectl(["logs", "web", "--tail=2"]).stdout == "two\nthree\n")
            #expect(try await cluster.kubectl(["logs", "web", "--limit-bytes=6"]).stdout == "one\ntw")
            let stamped = try await cluster.kubectl(["logs", "web", "--timestamps", "--tail=1"]).stdout
            #expect(stamped.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z three\n/) != nil, "\(stamped)")
            #expect(try await cluster.kubectl(["logs", "web", "--since=1h"]).stdout == "one\ntwo\nthree\n")

            // The previous attempt's log after a restart.
            #expect(try await cluster.kubectl(["logs", "web", "--previous"]).stderr.contains("previous terminated container \"main\" in pod \"web\" not found"))
            let second = try cluster.backend.run(pod: "web", container: "main", script: "echo again")
            #expect(await second() == 0)
            #expect(try await cluster.kubectl(["logs", "web"]).stdout == "again\n")
            #expect(try await cluster.kubectl(["logs", "web", "-p"]).stdout == "one\ntwo\nthree\n")

            // kube-apiserver's messages for a missing or wrong container.
            try await cluster.createPod("multi", containers: ["a", "b"])
            let unnamed = try await cluster.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/multi/log"])
            #expect(unnamed.status != 0)
            #expect(unnamed.stderr.contains("a container name must be specified for pod multi, choose one of: [a b]"), "\(unnamed.stderr)")
            let wrong = try await cluster.kubectl(["logs", "multi", "-c", "nope"])
            #expect(wrong.stderr.contains("container nope is not valid for pod multi"), "\(wrong.stderr)")
            let invalid = try await cluster.kubectl(["get", "--raw", "/api/v1/namespaces/default/pods/web/log?tailLines=-1"])
            #expect(invalid.stderr.contains("tailLines: Invalid value: -1: must be greater than or equal to 0"), "\(invalid.stderr)")

            // The agent does not know the container: its 404 as kube-apiserver reports it.
            try await cluster.createPod("ghost", containers: ["main"])
            let ghost = try await cluster.kubectl(["logs", "ghost"])
            #expect(ghost.status != 0)
            #expect(ghost.stderr.contains("the server could not find the requested resource ( pods/log ghost)"), "\(ghost.stderr)")

            // Not on a node yet: an empty log, as kube-apiserver answers.
            try await cluster.createPod("pending", containers: ["main"], node: nil)
            let pending = try await cluster.kubectl(["logs", "pending"])
            #expect(pending.status == 0 && pending.stdout.isEmpty, "\(pending.stderr)")

            // nodes/proxy reaches the agent.
            #expect(try await cluster.kubectl(["get", "--raw", "/api/v1/nodes/node1/proxy/healthz"]).stdout == "ok\n")
        }
    }

    @Test func followEndsWhenTheContainerEnds() async throws {
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("ticker", containers: ["main"])
            let exited = try cluster.backend.run(pod: "ticker", container: "main", script: "echo start; sleep 1; echo end")
            let followed = try await cluster.kubectl(["logs", "-f", "ticker"])
            #expect(followed.status == 0, "\(followed.stderr)")
            #expect(followed.stdout == "start\nend\n")
            #expect(await exited() == 0)
        }
    }

    @Test func execPrintsBothStreamsAndExitsWithTheCode() async throws {
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("web", containers: ["main"])
            try cluster.backend.run(pod: "web", container: "main", script: "sleep 60")

            let failed = try await cluster.kubectl(["exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(failed.status == 3)
            #expect(failed.stdout == "out\n")
            #expect(failed.stderr.hasPrefix("err\n"), "\(failed.stderr)")
            #expect(failed.stderr.contains("command terminated with exit code 3"))

            let ok = try await cluster.kubectl(["exec", "web", "--", "true"])
            #expect(ok.status == 0 && ok.stdout.isEmpty && ok.stderr.isEmpty, "\(ok.stderr)")

            let interactive = try await cluster.kubectl(["exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z; echo done"], stdin: "hello\nworld\n")
            #expect(interactive.status == 0, "\(interactive.stderr)")
            #expect(interactive.stdout == "HELLO\nWORLD\ndone\n")

            let wrong = try await cluster.kubectl(["exec", "web", "-c", "nope", "--", "true"])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("container nope is not valid for pod web"), "\(wrong.stderr)")
        }
    }

    /// Every kubectl that speaks WebSocket for exec by default (1.30 on; older ones speak SPDY).
    @Test(arguments: ["1.30", "1.31", "1.32", "1.33"])
    func execAndLogsWithEachClientVersion(version: String) async throws {
        let binary = "/usr/lib/google-cloud-sdk/bin/kubectl.\(version)"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "kubectl \(version) is not installed")
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("web", containers: ["main"])
            try cluster.backend.run(pod: "web", container: "main", script: "echo hello; sleep 60")
            let failed = try await cluster.kubectl(["exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 7"], binary: binary)
            #expect(failed.status == 7, "\(failed.stderr)")
            #expect(failed.stdout == "out\n")
            #expect(failed.stderr.hasPrefix("err\n"))
            let piped = try await cluster.kubectl(["exec", "-i", "web", "--", "cat"], stdin: "in\n", binary: binary)
            #expect(piped.status == 0 && piped.stdout == "in\n", "\(piped.stderr)")
            #expect(try await cluster.kubectl(["logs", "web"], binary: binary).stdout == "hello\n")
        }
    }

    @Test func largeStreamsAndCopy() async throws {
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("web", containers: ["main"])
            try cluster.backend.run(pod: "web", container: "main", script: "sleep 60")
            let input = String(repeating: "0123456789abcdef", count: 65536)  // 1 MiB of stdin, in many messages
            let counted = try await cluster.kubectl(["exec", "-i", "web", "--", "wc", "-c"], stdin: input)
            #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1048576", "\(counted.stderr)")
            let big = try await cluster.kubectl(["exec", "web", "--", "head", "-c", "3000000", "/dev/zero"])
            #expect(big.status == 0 && big.stdout.utf8.count == 3_000_000)

            // kubectl cp is tar over exec: out of the "container" and back in.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-cp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try "copied through exec\n".write(toFile: dir + "/source.txt", atomically: true, encoding: .utf8)
            let out = try await cluster.kubectl(["cp", "web:\(dir)/source.txt", dir + "/fetched.txt"])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(try String(contentsOfFile: dir + "/fetched.txt", encoding: .utf8) == "copied through exec\n")
            let back = try await cluster.kubectl(["cp", dir + "/fetched.txt", "web:\(dir)/returned.txt"])
            #expect(back.status == 0, "\(back.stderr)")
            #expect(try String(contentsOfFile: dir + "/returned.txt", encoding: .utf8) == "copied through exec\n")
        }
    }

    @Test func agentRefusesRequestsWithoutItsToken() async throws {
        try await ProxyTestCluster.with { cluster in
            try await cluster.createPod("web", containers: ["main"])
            try cluster.backend.run(pod: "web", container: "main", script: "echo hi")
            let tls = try KubeletClientConfiguration(caCertificatePEM: cluster.caPEM, bearerToken: nil).tls
            let anonymous = try await UpstreamExchange.start(host: "127.0.0.1", port: cluster.kubeletPort, tls: tls, method: "GET",
                                                             target: "/containerLogs/default/web/main", headers: [:])
            #expect(anonymous.head.status == 401)
            anonymous.cancel()
            let health = try await UpstreamExchange.start(host: "127.0.0.1", port: cluster.kubeletPort, tls: tls, method: "GET",
                                                          target: "/healthz", headers: [:])
            #expect(health.head.status == 200)
            health.cancel()
        }
    }
}
