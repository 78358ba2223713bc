import NIOHTTP1
import Testing
import SkiffModel
@testable import SkiffAPIServer

/// `kubectl get` tables: column definitions and rows as kube-apiserver's table convertors make them.
@Suite(.timeLimit(.minutes(1))) struct TableTests {
    static func context(_ type: ResourceType, query: String = "") throws -> RequestContext {
        let path = "/\(type.group.isEmpty ? "api" : "apis/\(type.group)")/\(type.version)/namespaces/default/\(type.plural)"
        let uri = query.isEmpty ? path : "\(path)?\(query)"
        let request = Request(method: .GET, uri: uri, headers: ["Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"], body: [])
        return try RequestContext(request: request, info: RequestInfo(method: .GET, path: path, query: request.query), type: type)
    }

    static func columnNames(_ table: JSON) -> [String] {
        (table["columnDefinitions"]?.array ?? []).compactMap { $0["name"]?.string }
    }

    static func cells(_ table: JSON) -> [[JSON]] {
        (table["rows"]?.array ?? []).map { $0["cells"]?.array ?? [] }
    }

    @Test func pods() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.pods, Fixtures.pod("p", nodeName: "node-1"))
            let items = try await [f.store.get(f.pods, namespace: "default", name: "p")]
            let table = try Table.make(Self.context(f.pods), items, listMeta: ["resourceVersion": "7"])
            #expect(table["kind"] == "Table")
            #expect(table["apiVersion"] == "meta.k8s.io/v1")
            #expect(table["metadata"] == ["resourceVersion": "7"])
            #expect(Self.columnNames(table) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
            let row = try #require(Self.cells(table).first)
            #expect(row.count == 9)
            #expect(Array(row[0..<4]) == ["p", "0/1", "Pending", 0])
            #expect(row[4].string?.hasSuffix("s") == true)
            #expect(Array(row[5...]) == ["<none>", "node-1", "<none>", "<none>"])
            let priorities = (table["columnDefinitions"]?.array ?? []).map { $0["priority"]?.int ?? -1 }
            #expect(priorities == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        }
    }

    @Test func deployments() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.deployments, Fixtures.deployment("web", replicas: 2))
            let items = try await [f.store.get(f.deployments, namespace: "default", name: "web")]
            let table = try Table.make(Self.context(f.deployments), items, listMeta: [:])
            #expect(Self.columnNames(table) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
            let row = try #require(Self.cells(table).first)
            #expect(row.count == 8)
            #expect(Array(row[0..<4]) == ["web", "0/2", 0, 0])
            #expect(Array(row[5...]) == ["main", "nginx:1.25", "app=web"])
        }
    }

    @Test func configMaps() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("a", data: ["x": "1", "y": "2"]))
            var binary = Fixtures.configMap("b", data: [:])
            binary["binaryData"] = ["blob": "AAEC"]
            try await f.create(f.configMaps, binary)
            await f.store.sync()
            let items = await f.cache.list(resourcePrefix: f.configMaps.keyPrefix, keyPrefix: f.configMaps.key(namespace: "default", name: nil)).items
            let table = try Table.make(Self.context(f.configMaps), items, listMeta: [:])
            #expect(Self.columnNames(table) == ["Name", "Data", "Age"])
            #expect(Self.cells(table).map { Array($0.prefix(2)) } == [["a", 2], ["b", 1]])
            #expect(Self.cells(table).allSatisfy { $0.count == 3 })
        }
    }

    @Test(arguments: ["", "includeObject=None", "includeObject=Object"])
    func rowObjects(query: String) async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("a"))
            let items = try await [f.store.get(f.configMaps, namespace: "default", name: "a")]
            let row = try #require(try Table.make(Self.context(f.configMaps, query: query), items, listMeta: [:])["rows"]?.array?.first)
            switch query {
            case "includeObject=None":
                #expect(row["object"] == nil)
            case "includeObject=Object":
                #expect(row["object", "kind"] == "ConfigMap")
                #expect(row["object", "data"] == ["k": "v"])
            default:
                #expect(row["object", "kind"] == "PartialObjectMetadata")
                #expect(row["object", "apiVersion"] == "meta.k8s.io/v1")
                #expect(row["object", "metadata", "name"] == "a")
                #expect(row["object", "data"] == nil)
            }
        }
    }

    @Test func withoutColumnsStillHasRows() async throws {
        try await StoreFixture.with { f in
            try await f.create(f.configMaps, Fixtures.configMap("a"))
            let items = try await [f.store.get(f.configMaps, namespace: "default", name: "a")]
            let table = try Table.make(Self.context(f.configMaps), items, listMeta: [:], withColumns: false)
            #expect(table["columnDefinitions"] == [])
            #expect(Self.cells(table).count == 1)
        }
    }

    /// Every kind's rows have exactly as many cells as it has columns, even for a bare object.
    @Test(arguments: BuiltinKinds.all.map(\.plural))
    func everyKindsCellsMatchItsColumns(plural: String) throws {
        let type = try #require(BuiltinKinds.all.first { $0.plural == plural })
        let bare: JSON = ["apiVersion": .string(type.apiVersion), "kind": .string(type.kind),
                          "metadata": ["name": "x", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"]]
        #expect(type.strategy.cells(bare).count == type.strategy.columns.count)
    }
}
