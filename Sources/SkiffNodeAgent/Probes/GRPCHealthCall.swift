import NIOCore
import NIOHPACK
import NIOHTTP2

/// How one connection attempt and its `Health/Check` call ended.
enum GRPCCallOutcome: Sendable {
    /// The connection failed or closed before the server's SETTINGS came (grpc-go is not
    /// connected yet then, and tries again).
    case notConnected(String)
    /// The deadline came before the server's SETTINGS.
    case connectTimeout
    /// The deadline came while the call was under way.
    case rpcTimeout
    /// The call ended with this status (not OK, or OK without exactly one valid response).
    case failed(GRPCStatus)
    /// The `HealthCheckResponse` status.
    case response(UInt64)
}

/// The state of one attempt, shared by its connection and stream handlers; used on the
/// connection's event loop only. The first outcome wins.
final class GRPCHealthCall {
    let promise: EventLoopPromise<GRPCCallOutcome>
    let headers: HPACKHeaders
    let message: [UInt8]
    let deadline: NIODeadline
    /// The server's SETTINGS came: grpc-go's connection is READY.
    var connected = false
    var timer: Scheduled<Void>?
    var channel: (any Channel)?

    init(promise: EventLoopPromise<GRPCCallOutcome>, headers: HPACKHeaders, message: [UInt8], deadline: NIODeadline) {
        self.promise = promise
        self.headers = headers
        self.message = message
        self.deadline = deadline
    }

    func finish(_ outcome: GRPCCallOutcome) {
        timer?.cancel()
        timer = nil
        promise.succeed(outcome)  // later completions are ignored
        channel?.close(promise: nil)
        channel = nil
    }
}

/// On the connection's pipeline after the HTTP/2 handler: starts the deadline, waits for the
/// server's SETTINGS (the connection is ready then) and opens the call's stream.
final class GRPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    let call: GRPCHealthCall
    let multiplexer: NIOHTTP2Handler.StreamMultiplexer

    init(call: GRPCHealthCall, multiplexer: NIOHTTP2Handler.StreamMultiplexer) {
        self.call = call
        self.multiplexer = multiplexer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        call.channel = context.channel
        let call = self.call
        call.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: call.deadline) {
            call.finish(call.connected ? .rpcTimeout : .connectTimeout)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        call.timer?.cancel()
        call.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard case .settings(.settings) = frame.payload, !call.connected else { return }
        call.connected = true
        let bound = NIOLoopBound(call, eventLoop: context.eventLoop)
        multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(GRPCCallHandler(call: bound.value))
            }
        }.whenFailure { [bound] error in
            bound.value.finish(.failed(GRPCStatus(code: 14, message: "\(error)")))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        call.finish(call.connected
            ? .failed(GRPCStatus(code: 14, message: "error reading from server: EOF"))
            : .notConnected("connection closed before server preface received"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        call.finish(call.connected
            ? .failed(GRPCStatus(code: 14, message: "connection error: desc = \"transport: \(error)\""))
            : .notConnected("\(error)"))
    }
}

/// The call's stream: sends the request (HEADERS, one DATA ending the stream) and reads the
/// response headers, the message and the trailers (or a trailers-only response).
final class GRPCCallHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    let call: GRPCHealthCall
    var responseHeaders: HPACKHeaders?
    var body: [UInt8] = []
    var sent = false

    init(call: GRPCHealthCall) {
        self.call = call
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
    }

    func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        var headers = call.headers
        let left = call.deadline - .now()
        headers.add(name: "grpc-timeout", value: GRPCHealthCodec.timeoutHeader(nanoseconds: left.nanoseconds))
        context.write(wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: call.message.count + 5)
        buffer.writeBytes(GRPCHealthCodec.frame(call.message))
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(buffer), endStream: true))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let h):
            if let first = responseHeaders {
                call.finish(Self.outcome(headers: first, trailers: h.headers, body: body))
                return
            }
            responseHeaders = h.headers
            if let error = Self.headerError(h.headers) {
                call.finish(.failed(error))
            } else if h.endStream {
                call.finish(Self.outcome(headers: h.headers, trailers: h.headers, body: []))
            }
        case .data(let d):
            if case .byteBuffer(var b) = d.data, let bytes = b.readBytes(length: b.readableBytes) {
                body += bytes
            }
            if body.count > GRPCHealthCodec.maxReceiveMessageSize + 5 {
                call.finish(.failed(GRPCStatus(code: 8, message: "grpc: received message larger than max (\(body.count - 5) vs. \(GRPCHealthCodec.maxReceiveMessageSize))")))
            } else if d.endStream {
                call.finish(.failed(GRPCStatus(code: 13, message: "server closed the stream without sending trailers")))
            }
        case .rstStream(let code):
            call.finish(.failed(.reset(networkCode: code.networkCode)))
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        call.finish(.failed(GRPCStatus(code: 14, message: "error reading from server: EOF")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        call.finish(.failed(GRPCStatus(code: 13, message: "\(error)")))
    }

    /// grpc-go's checks of the first HEADERS: `:status` 200 and a gRPC content-type.
    static func headerError(_ headers: HPACKHeaders) -> GRPCStatus? {
        var errors: [String] = []
        var code = 13
        if let text = headers.first(name: ":status") {
            if let status = Int(text) {
                if status != 200 {
                    code = GRPCStatus.code(httpStatus: status)
                    errors.append("unexpected HTTP status code received from server: \(status) (\(GRPCStatus.httpStatusText(status)))")
                } else {
                    code = 2
                }
            } else {
                errors.append("transport: malformed http-status: strconv.ParseInt: parsing \"\(text)\": invalid syntax")
            }
        } else {
            errors.append("malformed header: missing HTTP status")
        }
        if let type = headers.first(name: "content-type") {
            if !isGRPCContentType(type) { errors.append("transport: received unexpected content-type \"\(type)\"") }
        } else {
            errors.append("malformed header: missing HTTP content-type")
        }
        return errors.isEmpty ? nil : GRPCStatus(code: code, message: errors.joined(separator: "; "))
    }

    /// `application/grpc`, alone or with a `+subtype` or `;parameters`.
    static func isGRPCContentType(_ type: String) -> Bool {
        let t = type.lowercased()
        guard t.hasPrefix("application/grpc") else { return false }
        let rest = t.dropFirst("application/grpc".count)
        return rest.isEmpty || rest.hasPrefix("+") || rest.hasPrefix(";")
    }

    /// The call's end from its trailers: a non-OK status, or the one response message.
    static func outcome(headers: HPACKHeaders, trailers: HPACKHeaders, body: [UInt8]) -> GRPCCallOutcome {
        var code = 2  // grpc-go's default when grpc-status is missing: Unknown
        if let raw = trailers.first(name: "grpc-status") {
            guard let n = Int(raw), n >= 0 else {
                return .failed(GRPCStatus(code: 13, message: "transport: malformed grpc-status: strconv.ParseInt: parsing \"\(raw)\": invalid syntax"))
            }
            code = n
        }
        if code != 0 {
            let message = trailers.first(name: "grpc-message").map(GRPCHealthCodec.percentDecode) ?? ""
            return .failed(GRPCStatus(code: code, message: message))
        }
        do {
            let messages = try GRPCHealthCodec.unframe(body)
            guard messages.count == 1 else {
                return .failed(GRPCStatus(code: 13, message: messages.isEmpty
                    ? "cardinality violation: received no response message from non-server-streaming RPC"
                    : "cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message"))
            }
            return .response(try GRPCHealthCodec.decodeResponse(messages[0]))
        } catch let status as GRPCStatus {
            return .failed(status)
        } catch {
            return .failed(GRPCStatus(code: 13, message: "grpc: failed to unmarshal the received message: \(error)"))
        }
    }
}
