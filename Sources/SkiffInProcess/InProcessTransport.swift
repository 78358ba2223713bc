import NIOHTTP1
import SkiffAPIServer
import SkiffClient

/// A `Transport` that hands requests straight to the API server's handler in this process: the
/// way the scheduler, controllers and node agent of `skiff up` reach the API without a socket.
/// Requests are authenticated as usual, so give the client a token in `authorization`.
public struct InProcessTransport: Transport {
    let api: APIServer
    /// Sent as `Authorization: Bearer <token>` unless a request has its own.
    let bearerToken: String?

    public init(api: APIServer, bearerToken: String?) {
        self.api = api
        self.bearerToken = bearerToken
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let response = await api.handle(serverRequest(request))
        switch response.body {
        case .bytes(let bytes):
            return TransportResponse(status: Int(response.status.code), headers: headers(response), body: bytes)
        case .stream(let chunks):
            var body: [UInt8] = []
            for await chunk in chunks { body += chunk }
            return TransportResponse(status: Int(response.status.code), headers: headers(response), body: body)
        case .events(let events):
            var body: [UInt8] = []
            for await event in events { body += event.line }
            return TransportResponse(status: Int(response.status.code), headers: headers(response), body: body)
        }
    }

    /// A watch answers with its events as objects: nothing is serialized and parsed again.
    public func stream(_ request: TransportRequest) async throws -> TransportStream {
        var serverRequest = serverRequest(request)
        serverRequest.wantsWatchObjects = true
        let response = await api.handle(serverRequest)
        let (body, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        switch response.body {
        case .bytes(let bytes):
            continuation.yield(bytes)
            continuation.finish()
            return TransportStream(status: Int(response.status.code), headers: headers(response), body: body) {}
        case .stream(let chunks):
            // Pumps the server's stream for as long as the client reads it; cancelled with it.
            let pump = Task {
                for await chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            continuation.onTermination = { _ in pump.cancel() }
            return TransportStream(status: Int(response.status.code), headers: headers(response), body: body) { pump.cancel() }
        case .events(let serverEvents):
            continuation.finish()
            let (events, eventContinuation) = AsyncThrowingStream<Client.WatchEvent, any Error>.makeStream()
            let pump = Task {
                for await event in serverEvents {
                    guard let type = Client.WatchEvent.EventType(rawValue: event.type) else { continue }
                    eventContinuation.yield(Client.WatchEvent(type: type, object: event.object))
                }
                eventContinuation.finish()
            }
            eventContinuation.onTermination = { _ in pump.cancel() }
            return TransportStream(status: Int(response.status.code), headers: headers(response), events: events) { pump.cancel() }
        }
    }

    func serverRequest(_ request: TransportRequest) -> Request {
        var headers = HTTPHeaders(request.headers.map { ($0.key, $0.value) })
        if let token = bearerToken, request.headers["authorization"] == nil {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return Request(method: HTTPMethod(rawValue: request.method), uri: request.path, headers: headers, body: request.body)
    }

    func headers(_ response: Response) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in response.headers { out[name.lowercased()] = out[name.lowercased()].map { $0 + ", " + value } ?? value }
        return out
    }
}
