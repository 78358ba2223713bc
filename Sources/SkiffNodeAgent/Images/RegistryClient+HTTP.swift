import Foundation
import NIOSSL
import SkiffClient

extension RegistryClient {
    /// Whether `host` (`HOST[:PORT]`) is spoken to over plain HTTP.
    func isInsecure(_ host: String) -> Bool {
        if configuration.insecureRegistries.contains(host) { return true }
        let (name, _) = Self.split(host, defaultPort: 0)
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    /// `("127.0.0.1", 5000)` from `127.0.0.1:5000`; `[::1]:5000` too.
    static func split(_ host: String, defaultPort: Int) -> (String, Int) {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let name = String(host[host.index(after: host.startIndex)..<close])
            let rest = host[host.index(after: close)...]
            return (name, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
        }
        if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            return (String(host[..<colon]), Int(host[host.index(after: colon)...]) ?? defaultPort)
        }
        return (host, defaultPort)
    }

    func transport(scheme: String, host: String) throws -> HTTPTransport {
        let key = "\(scheme)://\(host)"
        if let t = transports[key] { return t }
        let (name, port) = Self.split(host, defaultPort: scheme == "https" ? 443 : 80)
        let t = try HTTPTransport(configuration: .init(scheme: scheme, host: name, port: port, tls: configuration.tls))
        transports[key] = t
        return t
    }

    /// Sends a GET to the reference's registry, answering one authentication challenge.
    func send(_ ref: ImageReference, path: String, accept: String? = nil) async throws -> TransportResponse {
        let host = ref.endpointHost
        let scheme = isInsecure(ref.registry) ? "http" : "https"
        var headers: [String: String] = [:]
        if let accept { headers["accept"] = accept }
        let scope = "\(ref.registry)/\(ref.repository)"
        for attempt in 0..<2 {
            if let auth = authorizations[scope] { headers["authorization"] = auth }
            let response = try await perform(scheme: scheme, host: host, TransportRequest(method: "GET", path: path, headers: headers))
            if response.status != 401 || attempt == 1 { return response }
            try await authenticate(ref, challenge: response.headers["www-authenticate"] ?? "")
        }
        throw ImageError(.unauthorized, "unreachable")
    }

    /// Opens a blob for streaming, following redirects (without credentials to other hosts).
    func openBlob(_ ref: ImageReference, _ descriptor: Descriptor) async throws -> TransportStream {
        var scheme = isInsecure(ref.registry) ? "http" : "https"
        var host = ref.endpointHost
        var path = "/v2/\(ref.repository)/blobs/\(descriptor.digest)"
        let scope = "\(ref.registry)/\(ref.repository)"
        var authenticated = false
        for _ in 0..<6 {
            var headers: [String: String] = [:]
            if host == ref.endpointHost, let auth = authorizations[scope] { headers["authorization"] = auth }
            let stream: TransportStream
            do {
                stream = try await transport(scheme: scheme, host: host).stream(TransportRequest(method: "GET", path: path, headers: headers))
            } catch {
                throw ImageError(.registry, "cannot reach \(scheme)://\(host)", cause: error)
            }
            switch stream.status {
            case 200:
                return stream
            case 401 where !authenticated && host == ref.endpointHost:
                stream.cancel()
                authenticated = true
                try await authenticate(ref, challenge: stream.headers["www-authenticate"] ?? "")
            case 301, 302, 303, 307, 308:
                stream.cancel()
                guard let location = stream.headers["location"] else { throw ImageError(.registry, "redirect without Location for \(descriptor.digest)") }
                if location.hasPrefix("/") {
                    path = location
                } else {
                    guard let url = URLComponents(string: location), let s = url.scheme, let h = url.host else {
                        throw ImageError(.registry, "bad redirect \(location)")
                    }
                    guard s == "https" || (s == "http" && isInsecure(ref.registry)) else {
                        throw ImageError(.registry, "refusing plain HTTP redirect to \(h)")
                    }
                    scheme = s
                    host = url.port.map { "\(h):\($0)" } ?? h
                    path = (url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath) + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
                }
            default:
                let body = (try? await stream.collect(limit: 4096)) ?? []
                throw statusError(stream.status, body, "blob \(descriptor.digest) of \(ref.name)")
            }
        }
        throw ImageError(.registry, "too many redirects for \(descriptor.digest)")
    }

    func perform(scheme: String, host: String, _ request: TransportRequest) async throws -> TransportResponse {
        do {
            return try await transport(scheme: scheme, host: host).send(request)
        } catch {
            throw ImageError(.registry, "cannot reach \(scheme)://\(host)", cause: error)
        }
    }

    func statusError(_ status: Int, _ body: [UInt8], _ what: String) -> ImageError {
        let detail = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch status {
        case 401, 403: return ImageError(.unauthorized, "\(what): \(status) \(detail)")
        case 404: return ImageError(.notFound, "\(what): not found")
        default: return ImageError(.registry, "\(what): unexpected status \(status) \(detail)")
        }
    }
}
