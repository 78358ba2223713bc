import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// One grpc probe, as the kubelet's `pkg/probe/grpc` runs it: `grpc.health.v1.Health/Check`
/// with `HealthCheckRequest{service}` to `host:port` over plain-text HTTP/2 (no TLS), the
/// probe's timeout the deadline of connecting and calling together. Success only when the
/// response's status is SERVING.
///
/// Like grpc-go's blocking dial, a connection is ready once the server's SETTINGS came; a
/// refused or dropped connection is tried again after grpc-go's backoff (1 s, then 1.6 times
/// longer, ±20 %) until the deadline, so a closed port fails with the connect timeout message.
/// Messages are the kubelet's:
/// - `timeout: failed to connect service "10.42.0.5:9090" within 1s: context deadline exceeded`
/// - `timeout: health rpc did not complete within 1s`
/// - `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ...`
/// - `error: health rpc probe failed: rpc error: code = NotFound desc = unknown service`
/// - `service unhealthy (responded with "NOT_SERVING")`
struct GRPCProbe: Sendable {
    var host: String
    var port: Int
    /// Empty or nil: the server's overall health.
    var service: String?

    /// grpc-go puts its own name after the user agent the kubelet gives it.
    static let userAgent = "kube-probe/1.33 grpc-go/1.68.1"

    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func run(timeout: Double) async -> ProbeResult {
        let within = GRPCHealthCodec.goDuration(seconds: timeout)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(max(timeout, 0) * 1e9))
        switch await connectAndCall(deadline: deadline) {
        case .notConnected, .connectTimeout:
            return .failure("timeout: failed to connect service \"\(address)\" within \(within): context deadline exceeded")
        case .rpcTimeout:
            return .failure("timeout: health rpc did not complete within \(within)")
        case .failed(let status) where status.code == GRPCStatus.unimplemented:
            return .failure("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): \(status.message)")
        case .failed(let status) where status.code == GRPCStatus.deadlineExceeded:
            return .failure("timeout: health rpc did not complete within \(within)")
        case .failed(let status):
            return .failure("error: health rpc probe failed: \(status)")
        case .response(let status):
            guard status == 1 else {
                return .failure("service unhealthy (responded with \"\(GRPCHealthCodec.servingStatusName(status))\")")
            }
            return .success("service healthy")
        }
    }

    /// Attempts until one connects (or the deadline passes), then that attempt's call.
    func connectAndCall(deadline: NIODeadline) async -> GRPCCallOutcome {
        var backoff = 1.0
        while true {
            let started = NIODeadline.now()
            guard started < deadline else { return .connectTimeout }
            let outcome = await attempt(deadline: deadline)
            guard case .notConnected = outcome else { return outcome }
            let wait = backoff * Double.random(in: 0.8...1.2)
            backoff = min(backoff * 1.6, 120)
            let delay = min(started + .nanoseconds(Int64(wait * 1e9)), deadline) - .now()
            if delay > .zero {
                do { try await Task.sleep(nanoseconds: UInt64(delay.nanoseconds)) } catch { return outcome }
            }
        }
    }

    /// One connection and, once it is ready, the call on it; the channel is closed at the end.
    func attempt(deadline: NIODeadline) async -> GRPCCallOutcome {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: GRPCCallOutcome.self)
        let headers: HPACKHeaders = [
            ":method": "POST", ":scheme": "http", ":path": GRPCHealthCodec.path, ":authority": address,
            "content-type": "application/grpc", "user-agent": Self.userAgent, "te": "trailers",
        ]
        let message = GRPCHealthCodec.encodeRequest(service: service ?? "")
        let left = deadline - .now()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(max(left, .milliseconds(1)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let mux = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: .init(), streamConfiguration: .init(),
                        inboundStreamInitializer: { $0.close() })
                    let call = GRPCHealthCall(promise: promise, headers: headers, message: message, deadline: deadline)
                    try channel.pipeline.syncOperations.addHandler(GRPCConnectionHandler(call: call, multiplexer: mux))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.succeed(.notConnected("\(error)"))  // the promise must not be left pending
            return .notConnected("\(error)")
        }
        // A cancelled probe closes its connection; the handlers then end the call.
        return await withTaskCancellationHandler {
            (try? await promise.futureResult.get()) ?? .notConnected("cancelled")
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
