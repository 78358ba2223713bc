import NIOCore
import NIOPosix

/// One tcpSocket probe: success when a TCP connection to `host:port` opens within the timeout
/// (it is closed at once).
struct TCPProbe: Sendable {
    var host: String
    var port: Int

    func run(timeout: Double) async -> ProbeResult {
        let outcome: Result<Void, any Error>? = await withTimeout(seconds: timeout) {
            do {
                let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.milliseconds(Int64(max(timeout, 0.001) * 1000)))
                let channel = try await bootstrap.connect(host: host, port: port).get()
                try? await channel.close()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch outcome {
        case nil: return .failure("dial tcp \(address): i/o timeout")
        case .failure(let error)?: return .failure(NetworkProbeError.describe(error, host: host, port: port))
        case .success?: return .success()
        }
    }
}
