import Foundation
import NIOCore
import NIOHTTP1

extension KubeletServer {
    typealias HTTPOutbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    /// Answers the requests of one plain HTTP connection in order.
    /// `refusedUpgrade`: the head of a first request that asked to upgrade and was refused; only
    /// its `.end` comes through the pipeline.
    func serveHTTP(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, refusedUpgrade: HTTPRequestHead? = nil) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead? = refusedUpgrade
                for try await part in inbound {
                    switch part {
                    case .head(let h): head = h
                    case .body: continue  // no endpoint here reads a body
                    case .end:
                        guard let h = head else { continue }
                        head = nil
                        try await respond(to: h, outbound, isActive: { connection.channel.isActive })
                        // After a refused upgrade request the decoder reads no further requests.
                        if !h.isKeepAlive || !h.headers["upgrade"].isEmpty { return }
                    }
                }
            }
        } catch {
            logger.debug("connection closed", metadata: ["error": "\(error)"])
        }
    }

    func respond(to head: HTTPRequestHead, _ out: HTTPOutbound, isActive: @Sendable () -> Bool) async throws {
        let target = KubeletRequestTarget(uri: head.uri)
        let s = target.segments
        if s == ["healthz"] {
            return try await write(.ok, "ok", head, out)
        }
        guard authorized(head.headers) else {
            return try await write(.unauthorized, "Unauthorized", head, out)
        }
        do {
            if try await respondStats(target, head, out) { return }
            switch s.first {
            case "containerLogs" where head.method == .GET:
                guard s.count == 4 else { throw KubeletStreamingError.notFound("404 page not found") }
                try await containerLogs(namespace: s[1], pod: s[2], container: s[3], target.firstValues, head, out, isActive: isActive)
            case "portForward":
                // An upgrade that was refused, or plain HTTP: say why, as the kubelet's handshake does.
                _ = try PortForwardRequest.parse(target)
                let upgrade = head.headers["upgrade"].joined(separator: ",").lowercased()
                if upgrade.contains("websocket") {
                    throw KubeletStreamingError.badRequest("unable to upgrade: no supported WebSocket protocol (offer \(PortForwardRequest.tunnelProtocol))")
                }
                if upgrade.contains("spdy/3.1") {
                    let offered = head.headers["X-Stream-Protocol-Version"]
                    throw KubeletStreamingError(status: 403, "unable to upgrade: unable to negotiate protocol: client supports \(offered), server supports [\(PortForwardRequest.spdyProtocol)]")
                }
                throw KubeletStreamingError.badRequest("Upgrade request required")
            case "exec", "attach":
                // A WebSocket upgrade that was refused, or plain HTTP: say why.
                if s.first == "exec" { _ = try ExecRequest.parse(target) } else { _ = try ExecRequest.parseAttach(target) }
                if head.headers["upgrade"].joined(separator: ",").lowercased().contains("spdy/3.1") {
                    let offered = head.headers["X-Stream-Protocol-Version"]
                    throw KubeletStreamingError(status: 403, "unable to upgrade: unable to negotiate protocol: client supports \(offered), server supports [\(StreamProtocol.v4.rawValue)]")
                }
                if StreamProtocol.negotiate(head.headers["Sec-WebSocket-Protocol"]) == nil, head.headers["upgrade"].isEmpty == false {
                    throw KubeletStreamingError.badRequest("unable to upgrade: no supported WebSocket protocol (offer \(StreamProtocol.allCases.map(\.rawValue).joined(separator: " or ")))")
                }
                throw KubeletStreamingError.badRequest("unable to upgrade: missing upgrade headers in request")
            default:
                throw KubeletStreamingError.notFound("404 page not found")
            }
        } catch let e as KubeletStreamingError {
            try await write(HTTPResponseStatus(statusCode: e.status), e.message, head, out)
        }
    }

    /// `GET /containerLogs/{namespace}/{pod}/{container}`: the log as text, chunked, flushed as it
    /// is read.
    func containerLogs(namespace: String, pod: String, container: String, _ query: [String: String], _ head: HTTPRequestHead,
                       _ out: HTTPOutbound, isActive: @Sendable () -> Bool) async throws {
        let options = try LogOptions(query: query, now: Date().timeIntervalSince1970)
        guard let path = try await backend.logPath(namespace: namespace, pod: pod, container: container, previous: options.previous) else {
            throw KubeletStreamingError.notFound("container \"\(container)\" not found in pod \"\(pod)\"")
        }
        let fd = try CRILogReader.open(path)
        defer { close(fd) }
        let headers: HTTPHeaders = ["Content-Type": "text/plain", "Transfer-Encoding": "chunked"]
        try await out.write(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)))
        let backend = self.backend
        await CRILogReader.stream(fd: fd, options: options, pollInterval: configuration.followPollInterval,
                                  isRunning: { await backend.isRunning(namespace: namespace, pod: pod, container: container) },
                                  write: { bytes in
                                      if bytes.isEmpty { return isActive() }
                                      do {
                                          try await out.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                                          return true
                                      } catch {
                                          return false
                                      }
                                  })
        try await out.write(.end(nil))
    }

    func write(_ status: HTTPResponseStatus, _ text: String, _ head: HTTPRequestHead, _ out: HTTPOutbound) async throws {
        let body = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        let headers: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8", "Content-Length": String(body.count),
                                    "X-Content-Type-Options": "nosniff"]
        try await out.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
        if head.method != .HEAD { try await out.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await out.write(.end(nil))
    }
}
