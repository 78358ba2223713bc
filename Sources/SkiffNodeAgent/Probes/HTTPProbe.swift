import Foundation
import Glibc
import NIOCore
import NIOPosix
import NIOSSL
import SkiffClient

/// One httpGet probe: a GET to `scheme://host:port/path` with the probe's headers, as the
/// kubelet sends it (`User-Agent: kube-probe/1.33`, `Accept: */*`, no keep-alive; HTTPS without
/// certificate verification). 200-399 is success. Redirects to the same scheme, host and port
/// are followed (up to 10); one elsewhere is not, and its 3xx counts as success (the kubelet's
/// "Probe terminated redirects" warning).
/// A `Host` among the probe's headers is not sent (the transport sends the address's).
struct HTTPProbe: Sendable {
    var host: String
    var port: Int
    var path: String
    var scheme: String
    var headers: [Probe.Header]

    var origin: String { "\(scheme.lowercased())://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    var url: String { origin + path }

    func run(timeout: Double) async -> ProbeResult {
        let transport: HTTPTransport
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            var config = HTTPTransport.Configuration(scheme: scheme == "HTTPS" ? "https" : "http", host: host, port: port, tls: tls)
            config.maxIdleConnections = 0
            config.connectTimeout = .milliseconds(Int64(timeout * 1000))
            transport = try HTTPTransport(configuration: config)
        } catch {
            return .failure("Get \"\(url)\": \(error)")
        }
        var request = TransportRequest(method: "GET", path: path, headers: ["User-Agent": "kube-probe/1.33", "Accept": "*/*"])
        // The transport sends the Host header of the address (a probe's own `Host` would be a
        // second one, which servers reject): it is left out.
        for h in headers where h.name.lowercased() != "host" {
            // A header the probe sets replaces the default of the same name.
            if let k = request.headers.keys.first(where: { $0.lowercased() == h.name.lowercased() }) { request.headers[k] = nil }
            request.headers[h.name] = h.value
        }
        request.headers["Connection"] = "close"
        let sent = request
        let outcome: Result<Int, any Error>? = await withTimeout(seconds: timeout) {
            do {
                var request = sent
                for _ in 0...10 {
                    let stream = try await transport.stream(request)
                    stream.cancel()
                    guard (300..<400).contains(stream.status), let location = stream.headers["location"],
                          let next = localRedirect(location, from: request.path)
                    else { return .success(stream.status) }
                    request.path = next
                }
                return .failure(RuntimeError("stopped after 10 redirects"))
            } catch {
                return .failure(error)
            }
        }
        await transport.shutdown()
        switch outcome {
        case nil:
            return .failure("Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        case .failure(let error)?:
            return .failure("Get \"\(url)\": \(NetworkProbeError.describe(error, host: host, port: port))")
        case .success(let status)?:
            if (200..<400).contains(status) { return .success() }
            return .failure("HTTP probe failed with statuscode: \(status)")
        }
    }
}

extension HTTPProbe {
    /// The path and query to follow a redirect to, when `location` (resolved against `path`)
    /// stays on this probe's scheme, host and port; nil otherwise.
    func localRedirect(_ location: String, from path: String) -> String? {
        guard let base = URL(string: origin + path),
              let target = URL(string: location, relativeTo: base)?.absoluteURL,
              let parts = URLComponents(url: target, resolvingAgainstBaseURL: true),
              target.scheme?.lowercased() == scheme.lowercased(), target.host == host || target.host == "[\(host)]"
        else { return nil }
        let defaultPort = scheme == "HTTPS" ? 443 : 80
        guard (target.port ?? defaultPort) == port else { return nil }
        var next = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        if let q = parts.percentEncodedQuery { next += "?" + q }
        return next
    }
}

/// Go-like wording for connection errors (`dial tcp 10.42.0.5:80: connect: connection refused`).
enum NetworkProbeError {
    static func describe(_ error: any Error, host: String, port: Int) -> String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        if let e = error as? ClientError, let cause = e.cause {
            return describe(cause, host: host, port: port)
        }
        if let e = error as? NIOConnectionError, let first = e.connectionErrors.first {
            return describe(first.error, host: host, port: port)
        }
        if let e = error as? IOError {
            return "dial tcp \(address): connect: \(String(cString: strerror(e.errnoCode)).lowercased())"
        }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return "dial tcp \(address): i/o timeout"
        }
        return "\(error)"
    }
}
