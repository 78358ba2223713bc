import SkiffModel

extension Client {
    /// One watch event. An `ERROR` event is not delivered as an event: the stream throws the
    /// `APIError` its Status describes (410 Expired when the resourceVersion is too old).
    public struct WatchEvent: Sendable, Equatable {
        public enum EventType: String, Sendable {
            case added = "ADDED"
            case modified = "MODIFIED"
            case deleted = "DELETED"
            /// Carries only `metadata.resourceVersion`: the watch has seen everything up to it.
            case bookmark = "BOOKMARK"
        }

        public var type: EventType
        /// The object after the change (its last state for `deleted`).
        public var object: JSON

        public init(type: EventType, object: JSON) {
            self.type = type
            self.object = object
        }

        public var resourceVersion: String? { object["metadata", "resourceVersion"]?.string }
    }

    /// Watches objects from `options.resourceVersion` (nil: the current objects first, as ADDED).
    ///
    /// Returns once the server has accepted the watch; events then arrive in resourceVersion order
    /// until the server ends the watch (the stream finishes, for example at `timeoutSeconds`), an
    /// `ERROR` event arrives (the stream throws its `APIError`), or the connection fails (it throws
    /// `ClientError`). Cancelling the consuming task, or dropping the stream, closes the watch.
    ///
    /// ```swift
    /// for try await event in try await client.watch(.pods, namespace: "default",
    ///                                               options: .init(resourceVersion: list.resourceVersion)) {
    ///     print(event.type, event.object["metadata", "name"] ?? "")
    /// }
    /// ```
    public func watch(_ resource: Resource, namespace: String? = nil, options: ListOptions = .init()) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        let request = transportRequest("GET", resource.path(namespace: namespace), query: options.query(watch: true), body: nil)
        let response = try await transport.stream(request)
        guard (200..<300).contains(response.status) else {
            let body = try await response.collect()
            response.cancel()
            throw APIError(status: response.status, body: body)
        }
        if let events = response.events { return events }
        let decoder = WatchDecoder(response)
        return AsyncThrowingStream { try await decoder.next() }
    }
}

/// Splits a watch body into lines and decodes each into a `Client.WatchEvent`.
///
/// `@unchecked Sendable`: only the stream's single consumer calls `next()`, one call at a time.
final class WatchDecoder: @unchecked Sendable {
    var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
    let cancel: @Sendable () -> Void
    var buffer: [UInt8] = []
    var start = 0
    var finished = false

    init(_ response: TransportStream) {
        iterator = response.body.makeAsyncIterator()
        cancel = response.cancel
    }

    deinit { cancel() }

    func next() async throws -> Client.WatchEvent? {
        while true {
            if let line = nextLine() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                return try Self.decode(line)
            }
            if finished {
                guard start < buffer.count else { return nil }
                let rest = Array(buffer[start...])
                buffer = []
                start = 0
                if rest.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
                return try Self.decode(rest[...])
            }
            if let chunk = try await iterator.next() {
                if start > 0 && start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
                buffer += chunk
            } else {
                finished = true
            }
        }
    }

    func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
            if start > 4096 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
            }
            return nil
        }
        let line = buffer[start..<newline]
        start = newline + 1
        return line
    }

    static func decode(_ line: ArraySlice<UInt8>) throws -> Client.WatchEvent {
        let json: JSON
        do { json = try JSON.parse(line) } catch {
            throw ClientError(.invalidResponse, "a watch event is not JSON", cause: error)
        }
        guard let type = json["type"]?.string, let object = json["object"] else {
            throw ClientError(.invalidResponse, "a watch event has no type or object")
        }
        if type == "ERROR" {
            throw APIError(statusObject: object)
        }
        guard let eventType = Client.WatchEvent.EventType(rawValue: type) else {
            throw ClientError(.invalidResponse, "unknown watch event type \(type)")
        }
        return Client.WatchEvent(type: eventType, object: object)
    }
}
