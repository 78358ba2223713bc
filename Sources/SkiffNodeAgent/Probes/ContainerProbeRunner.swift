import Foundation
import Glibc

/// The node agent's `ProbeRunner`: exec through runc in the container, httpGet and tcpSocket
/// from the agent (in the node's network namespace, where Pod IPs are routable through the Pod
/// bridge). grpc probes call the Pod IP's `grpc.health.v1.Health/Check` over plain-text HTTP/2.
struct ContainerProbeRunner: ProbeRunner {
    let runtime: RuncRuntime

    func run(_ probe: Probe, target: ProbeTarget) async -> ProbeResult {
        let timeout = probe.timing.timeoutSeconds
        switch probe.handler {
        case .exec(let command):
            return await exec(command, id: target.containerID, timeout: timeout)
        case .httpGet(let host, let port, let path, let scheme, let headers):
            guard let address = host ?? target.podIP else { return .failure("the Pod has no IP to probe") }
            return await HTTPProbe(host: address, port: port, path: path, scheme: scheme, headers: headers).run(timeout: timeout)
        case .tcpSocket(let host, let port):
            guard let address = host ?? target.podIP else { return .failure("the Pod has no IP to probe") }
            return await TCPProbe(host: address, port: port).run(timeout: timeout)
        case .grpc(let port, let service):
            guard let address = target.podIP else { return .failure("the Pod has no IP to probe") }
            return await GRPCProbe(host: address, port: port, service: service).run(timeout: timeout)
        case .invalid(let message):
            return .failure(message)
        }
    }

    /// `runc exec` of the command; exit 0 is success, its output the message. After `timeout`
    /// the command is killed and the probe fails.
    func exec(_ command: [String], id: String, timeout: Double) async -> ProbeResult {
        let quoted = "\"" + command.joined(separator: " ") + "\""
        do {
            guard let r = try await runtime.execLimited(id: id, args: command, timeout: timeout) else {
                return .failure("command \(quoted) timed out")
            }
            let output = String(decoding: r.stdout + r.stderr, as: UTF8.self)
            return r.exitCode == 0 ? .success(output) : .failure(output.trimmingCharacters(in: .newlines))
        } catch {
            return .failure("\(error)")
        }
    }
}

extension RuncRuntime {
    /// `runc exec` ending after `timeout` seconds: the exec'd process is killed then, and the
    /// result is nil.
    func execLimited(id: String, args: [String], timeout: Double) async throws -> ExecResult? {
        let st = try await state(id: id)
        guard st.status == "running" else { throw RuntimeError("container \(id) is \(st.status), not running") }
        let pidFile = "\(stateRoot)/.probe-\(UUID().uuidString).pid"
        let argv = ["exec", "--pid-file", pidFile, id] + args
        let result = await awaitLimited(seconds: timeout) { try? await self.capture(argv) }
        defer { unlink(pidFile) }
        if let done = result ?? nil { return ExecResult(exitCode: done.0, stdout: done.1, stderr: done.2) }
        if result != nil { throw RuntimeError("runc exec \(id) failed") }
        // Timed out: the process runc started (its pid, seen from this namespace) is killed, and
        // runc, waiting on it, exits.
        if let text = FileSystem.read(pidFile), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            Glibc.kill(pid, SIGKILL)
        }
        return nil
    }
}
