import NIOHTTP1
import SkiffAPIServer
import SkiffClient

/// A `Transport` that hands requests straight to the API server's handler in this process: the
/// way the scheduler, controllers and node agent of `skiff up` reach the API without a socket.
/// Requests are authenticated as usual, so give the client a token in `authorization`.
struct InProcessTransport: Transport {
    let api: APIServer
    /// Sent as `Authorization: Bearer <token>` unless a request has its own.
    let bearerToken: String?

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let response = await api.handle(serverRequest(request))
        switch response.body {
        case .bytes(let bytes):
            return TransportResponse(status: Int(response.status.code), headers: headers(response), body: bytes)
        case .stream(let chunks):
            var body: [UInt8] = []
            for await chunk in chunks { body += chunk }
            return TransportResponse(status: Int(response.status.code), headers: headers(response), body: body)
        }
    }

    func stream(_ request: TransportRequest) async throws -> TransportStream {
        let response = await api.handle(serverRequest(request))
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
