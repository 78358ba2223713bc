import NIOHTTP1
import Testing
import SkiffModel
@testable import SkiffAPIServer

/// A watch asked for with `wantsWatchObjects` (a client in this process) carries the same events
/// as the lines a socket gets, as objects.
@Suite(.timeLimit(.minutes(1))) struct WatchObjectsTests {
    static let admin = "admin-token"

    func withServer(_ body: @Sendable (APIServer) async throws -> Void) async throws {
        try await StoreFixture.with { f in
            let users = [Self.admin: UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])]
            try await body(APIServer(configuration: .init(authenticator: TokenAuthenticator(tokens: users)),
                                     registry: f.registry, store: f.store, logger: StoreFixture.logger))
        }
    }

    func request(_ method: HTTPMethod, _ uri: String, body: JSON? = nil, accept: String = "application/json", objects: Bool = false) -> Request {
        var r = Request(method: method, uri: uri, headers: ["Authorization": "Bearer \(Self.admin)", "Content-Type": "application/json", "Accept": accept],
                        body: body?.serialized() ?? [])
        r.wantsWatchObjects = objects
        return r
    }

    func write(_ api: APIServer, _ method: HTTPMethod, _ uri: String, _ body: JSON? = nil) async throws -> JSON {
        guard case .bytes(let bytes) = await api.handle(request(method, uri, body: body)).body else { throw WatchTestError("no body") }
        return try JSON.parse(bytes)
    }

    static func configMap(_ name: String, labels: [String: String]) -> JSON {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "labels": JSON(labels)], "data": ["k": "v"]]
    }

    /// Reads `count` events of a watch, as (type, object), from lines or from objects.
    func read(_ response: Response, _ count: Int) async throws -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        switch response.body {
        case .events(let events):
            for await e in events {
                out.append((e.type, e.object))
                if out.count == count { break }
            }
        case .stream(let chunks):
            var buffer: [UInt8] = []
            for await chunk in chunks {
                buffer += chunk
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = try JSON.parse(buffer[..<newline])
                    buffer.removeFirst(newline + 1)
                    out.append((line["type"]?.string ?? "", line["object"] ?? .null))
                }
                if out.count >= count { break }
            }
        case .bytes: throw WatchTestError("a watch answered with a whole body")
        }
        return out
    }

    @Test func objectsAreTheEventsTheLinesCarry() async throws {
        try await withServer { api in
            let first = try await write(api, .POST, "/api/v1/namespaces/default/configmaps", Self.configMap("a", labels: ["app": "x"]))
            let rv = try #require(first["metadata", "resourceVersion"]?.string)
            let path = "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(rv)&labelSelector=app%3Dx"
            let lines = await api.handle(request(.GET, path))
            let objects = await api.handle(request(.GET, path, objects: true))
            guard case .events = objects.body, case .stream = lines.body else {
                Issue.record("expected objects for the in-process watch and lines for the other")
                return
            }
            _ = try await write(api, .POST, "/api/v1/namespaces/default/configmaps", Self.configMap("b", labels: ["app": "x"]))
            _ = try await write(api, .POST, "/api/v1/namespaces/default/configmaps", Self.configMap("c", labels: ["app": "y"]))
            _ = try await write(api, .PUT, "/api/v1/namespaces/default/configmaps/a", Self.configMap("a", labels: ["app": "y"]))
            _ = try await write(api, .DELETE, "/api/v1/namespaces/default/configmaps/b")
            let fromLines = try await read(lines, 3)
            let fromObjects = try await read(objects, 3)
            #expect(fromLines.map(\.0) == ["ADDED", "DELETED", "DELETED"])  // a stops matching: DELETED
            #expect(fromObjects.map(\.0) == fromLines.map(\.0))
            #expect(fromObjects.map(\.1) == fromLines.map(\.1))
            #expect(fromObjects.map { $0.1["metadata", "name"] } == ["b", "a", "b"])
        }
    }

    @Test func tablesStayLines() async throws {
        try await withServer { api in
            let response = await api.handle(request(.GET, "/api/v1/namespaces/default/configmaps?watch=true",
                                                    accept: "application/json;as=Table;v=v1;g=meta.k8s.io", objects: true))
            guard case .stream = response.body else {
                Issue.record("a Table watch must answer with lines")
                return
            }
        }
    }
}

struct WatchTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
