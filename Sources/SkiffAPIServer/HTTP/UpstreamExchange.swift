import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One request to an upstream HTTP/1.1 server (a node agent), on a connection of its own: the
/// response head once it arrives, then either the body (de-chunked) as a stream, or, after a
/// `101 Switching Protocols`, the raw connection spliced to a client's.
///
/// The connection lives in a task of its own that ends with the body, the splice, or `cancel()`.
final class UpstreamExchange: Sendable {
    let head: UpstreamHead
    /// The response body; empty after a 101.
    let body: AsyncThrowingStream<[UInt8], any Error>
    private let clients: AsyncStream<UpgradedConnection>.Continuation
    private let task: Task<Void, Never>

    private init(head: UpstreamHead, body: AsyncThrowingStream<[UInt8], any Error>,
                 clients: AsyncStream<UpgradedConnection>.Continuation, task: Task<Void, Never>) {
        self.head = head
        self.body = body
        self.clients = clients
        self.task = task
    }

    /// Copies bytes both ways between `client` and the upstream connection until either closes.
    func splice(_ client: UpgradedConnection) async {
        clients.yield(client)
        clients.finish()
        await task.value
    }

    /// Closes the upstream connection.
    func cancel() {
        clients.finish()
        task.cancel()
    }

    /// Connects to `host:port` (TLS when `tls`), sends the request and waits for the response head.
    static func start(host: String, port: Int, tls: NIOSSLContext?, method: String, target: String, headers: HTTPHeaders,
                      body requestBody: [UInt8] = [], connectTimeout: TimeAmount = .seconds(10)) async throws -> UpstreamExchange {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !requestBody.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { text += "Content-Length: \(requestBody.count)\r\n" }
        let request = Array((text + "\r\n").utf8) + requestBody
        let (bodyStream, bodyOut) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (clientStream, clientIn) = AsyncStream<UpgradedConnection>.makeStream()
        let headWaiter = HeadWaiter()
        let task = Task {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(connectTimeout)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(bytes: request))
                    var parts = inbound.makeAsyncIterator()
                    var buffered: [UInt8] = []
                    var parsed: (UpstreamHead, Int)?
                    while parsed == nil {
                        guard var chunk = try await parts.next() else { throw UpstreamError("connection closed before a response") }
                        buffered += chunk.readBytes(length: chunk.readableBytes) ?? []
                        parsed = try UpstreamHead.parse(buffered)
                    }
                    let (head, length) = parsed!
                    let rest = Array(buffered[length...])
                    headWaiter.resume(.success(head))
                    if head.status == 101 {
                        bodyOut.finish()
                        var waiting = clientStream.makeAsyncIterator()
                        guard let client = await waiting.next() else { return }
                        if !rest.isEmpty { try await client.write(rest) }
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask {
                                for await bytes in client.inbound {
                                    do { try await outbound.write(ByteBuffer(bytes: bytes)) } catch { break }
                                }
                                channel.channel.close(promise: nil)
                            }
                            do {
                                while var chunk = try await parts.next() {
                                    try await client.write(chunk.readBytes(length: chunk.readableBytes) ?? [])
                                }
                            } catch {}
                            group.cancelAll()
                        }
                        return
                    }
                    var framing = BodyFraming(head, method: method)
                    let first = try framing.feed(rest)
                    if !first.isEmpty { bodyOut.yield(first) }
                    while !framing.isDone, var chunk = try await parts.next() {
                        let out = try framing.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
                        if !out.isEmpty { bodyOut.yield(out) }
                    }
                    bodyOut.finish()
                }
            } catch {
                headWaiter.resume(.failure(error))
                bodyOut.finish(throwing: error)
            }
        }
        bodyOut.onTermination = { termination in
            if case .cancelled = termination { task.cancel() }
        }
        do {
            let head = try await headWaiter.wait()
            return UpstreamExchange(head: head, body: bodyStream, clients: clientIn, task: task)
        } catch {
            task.cancel()
            throw error
        }
    }
}

/// The response head, handed from the connection's task to the caller once.
final class HeadWaiter: Sendable {
    private let state = Mutex<(result: Result<UpstreamHead, any Error>?, waiter: CheckedContinuation<UpstreamHead, any Error>?)>((nil, nil))

    func resume(_ result: Result<UpstreamHead, any Error>) {
        let waiter: CheckedContinuation<UpstreamHead, any Error>? = state.withLock { s in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> UpstreamHead {
        try await withCheckedThrowingContinuation { cont in
            let ready: Result<UpstreamHead, any Error>? = state.withLock { s in
                if let r = s.result { return r }
                s.waiter = cont
                return nil
            }
            if let ready { cont.resume(with: ready) }
        }
    }
}
