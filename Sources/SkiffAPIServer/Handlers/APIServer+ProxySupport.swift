import NIOHTTP1
import SkiffModel

extension APIServer {
    /// The container a log or exec request means: the one named (it must be in the Pod, init and
    /// ephemeral containers included), or the only one; the messages are kube-apiserver's.
    static func containerName(_ requested: String, pod: JSON, podName: String) throws(APIError) -> String {
        let containers = (pod["spec", "containers"]?.array ?? []).compactMap { $0["name"]?.string }
        let initContainers = (pod["spec", "initContainers"]?.array ?? []).compactMap { $0["name"]?.string }
        let ephemeral = (pod["spec", "ephemeralContainers"]?.array ?? []).compactMap { $0["name"]?.string }
        if requested.isEmpty {
            switch containers.count {
            case 1: return containers[0]
            case 0: throw .badRequest("a container name must be specified for pod \(podName)")
            default:
                var message = "a container name must be specified for pod \(podName), choose one of: [\(containers.joined(separator: " "))]"
                if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
                throw .badRequest(message)
            }
        }
        guard (containers + initContainers + ephemeral).contains(requested) else {
            throw .badRequest("container \(requested) is not valid for pod \(podName)")
        }
        return requested
    }

    /// A query boolean as Kubernetes reads one: absent, `0`, `f` or `false` (any case) is false.
    static func queryBool(_ v: String?) -> Bool {
        guard let v else { return false }
        return !(v == "0" || v.lowercased() == "f" || v.lowercased() == "false")
    }

    /// Every value of `key` in a raw query, in order.
    static func allValues(_ rawQuery: String, _ key: String) -> [String] {
        rawQuery.split(separator: "&").compactMap { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Request.percentDecode(kv[0]) == key else { return nil }
            return kv.count > 1 ? Request.percentDecode(kv[1]) : ""
        }
    }

    static func pathEscape(_ s: String) -> String { escape(s, keep: "-._~") }
    static func queryEscape(_ s: String) -> String { escape(s, keep: "-._~") }

    static func escape(_ s: String, keep: String) -> String {
        var out = ""
        for b in s.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || keep.utf8.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// The client's headers to pass on to the agent: not its credentials (the API server sends its
    /// own), not `Host`, and hop-by-hop headers only when upgrading.
    static func forwardedHeaders(_ headers: HTTPHeaders, upgrade: Bool) -> HTTPHeaders {
        let hopByHop: Set<String> = ["connection", "upgrade", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding"]
        var out = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if ["authorization", "host", "content-length", "impersonate-user", "impersonate-group"].contains(lower) { continue }
            if !upgrade && hopByHop.contains(lower) { continue }
            out.add(name: name, value: value)
        }
        return out
    }

    /// Up to `limit` bytes of an upstream body, as text; closes the exchange.
    static func collect(_ exchange: UpstreamExchange, limit: Int) async -> String {
        var bytes: [UInt8] = []
        do {
            for try await chunk in exchange.body {
                bytes += chunk
                if bytes.count >= limit { break }
            }
        } catch {}
        exchange.cancel()
        return String(decoding: bytes.prefix(limit), as: UTF8.self)
    }

    /// An agent's error answer as kube-apiserver reports it (`GenericHttpResponseChecker`).
    static func responseError(status: Int, body: String, resource: String, name: String) -> APIError {
        let text = body.hasSuffix("\n") ? String(body.dropLast()) : body
        switch status {
        case 500: return .internalError(text)
        case 400: return .badRequest(text)
        default:
            let (reason, message): (String, String) = switch status {
            case 404: ("NotFound", "the server could not find the requested resource")
            case 401: ("Unauthorized", "the server has asked for the client to provide credentials")
            case 403: ("Forbidden", "the server does not allow access to the requested resource")
            case 422: ("Invalid", "the server rejected our request due to an error in our request")
            default: ("InternalError", "an error on the server (\"\(text)\") has prevented the request from succeeding")
            }
            return APIError(code: status, reason: reason, message: "\(message) ( \(resource) \(name))",
                            details: .init(name: name, kind: resource, causes: text.isEmpty ? [] : [.init(reason: "UnexpectedServerResponse", message: text)]))
        }
    }

    /// An upstream body as a chunked response; the upstream closes when the client goes away.
    static func streamed(_ exchange: UpstreamExchange, contentType: String) -> Response {
        let (out, continuation) = AsyncStream<[UInt8]>.makeStream()
        let pump = Task {
            do {
                for try await chunk in exchange.body { continuation.yield(chunk) }
            } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in
            pump.cancel()
            exchange.cancel()
        }
        return Response(status: .ok, headers: ["Content-Type": contentType], body: .stream(out))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
