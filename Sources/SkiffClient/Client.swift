import SkiffModel

/// A REST client for Kubernetes resources as JSON objects (client-go's dynamic client).
///
/// Every call is one HTTP request through the `Transport`. A non-2xx answer is thrown as the
/// server's `APIError` (decoded from its `Status` body: code, reason, message, details); a
/// failure to reach the server or to read its answer is thrown as `ClientError`. Calls are
/// cancellable: cancelling the task abandons the request.
///
/// Writes are not retried: a conflict (409) is the caller's to resolve by re-reading.
///
/// ```swift
/// let client = Client(transport: transport, userAgent: "skiff-controllers")
/// var cm = try await client.get(.configMaps, namespace: "default", name: "settings")
/// cm["data", "mode"] = "fast"
/// cm = try await client.update(.configMaps, cm)
/// ```
public struct Client: Sendable {
    public var transport: any Transport
    /// Sent as `User-Agent`; the server derives the default field manager from its first `/` part.
    public var userAgent: String

    public init(transport: any Transport, userAgent: String = "skiff") {
        self.transport = transport
        self.userAgent = userAgent
    }

    /// Reads one object (or one subresource of it, such as `status` or `scale`).
    public func get(_ resource: Resource, namespace: String? = nil, name: String, subresource: String? = nil) async throws -> JSON {
        try await request("GET", resource.path(namespace: namespace, name: name, subresource: subresource))
    }

    /// Lists objects: in `namespace`, or in all namespaces when it is nil.
    /// The list's `resourceVersion` is where a watch continues from.
    /// `get`, but nil when the object does not exist (404).
    public func getIfExists(_ resource: Resource, namespace: String? = nil, name: String) async throws -> JSON? {
        do {
            return try await get(resource, namespace: namespace, name: name)
        } catch let e as APIError where e.isNotFound {
            return nil
        }
    }

    public func list(_ resource: Resource, namespace: String? = nil, options: ListOptions = .init()) async throws -> ObjectList {
        let json = try await request("GET", resource.path(namespace: namespace), query: options.query(watch: false))
        return ObjectList(json)
    }

    /// Creates `object` in `namespace` (default: the object's `metadata.namespace`) and returns it as stored.
    public func create(_ resource: Resource, namespace: String? = nil, _ object: JSON, options: WriteOptions = .init()) async throws -> JSON {
        let ns = namespace ?? object["metadata", "namespace"]?.string
        return try await request("POST", resource.path(namespace: ns), query: options.query, body: object)
    }

    /// Posts `object` to a subresource of `name`: `binding` for pods, `eviction`, and the like.
    public func create(_ resource: Resource, namespace: String? = nil, name: String, subresource: String, _ object: JSON,
                       options: WriteOptions = .init()) async throws -> JSON {
        try await request("POST", resource.path(namespace: namespace, name: name, subresource: subresource), query: options.query, body: object)
    }

    /// Replaces the object named by its `metadata`. With `metadata.resourceVersion` set, the write
    /// fails with 409 Conflict if the object changed since it was read.
    public func update(_ resource: Resource, _ object: JSON, options: WriteOptions = .init()) async throws -> JSON {
        try await replace(resource, object, subresource: nil, options: options)
    }

    /// Replaces the object's `status` (the `status` subresource); other changes are ignored by the server.
    public func updateStatus(_ resource: Resource, _ object: JSON, options: WriteOptions = .init()) async throws -> JSON {
        try await replace(resource, object, subresource: "status", options: options)
    }

    /// Patches one object with `body` of the given patch type. `.apply` is server-side apply and
    /// needs `options.fieldManager`; `options.force` takes over conflicting fields.
    public func patch(_ resource: Resource, namespace: String? = nil, name: String, type: PatchType, _ body: JSON,
                      subresource: String? = nil, options: PatchOptions = .init()) async throws -> JSON {
        try await request("PATCH", resource.path(namespace: namespace, name: name, subresource: subresource),
                          query: options.query, body: body, contentType: type.rawValue)
    }

    /// Deletes one object. Returns what the server answered: the object itself while finalizers or
    /// graceful deletion keep it (or for kinds that return it), else a `Status` of success.
    @discardableResult
    public func delete(_ resource: Resource, namespace: String? = nil, name: String, options: DeleteOptions = .init()) async throws -> JSON {
        try await request("DELETE", resource.path(namespace: namespace, name: name), body: options.body)
    }

    /// Deletes every object matching `listOptions`' selectors in `namespace` (all namespaces if nil).
    @discardableResult
    public func deleteCollection(_ resource: Resource, namespace: String? = nil, listOptions: ListOptions = .init(),
                                 options: DeleteOptions = .init()) async throws -> JSON {
        try await request("DELETE", resource.path(namespace: namespace), query: listOptions.query(watch: false), body: options.body)
    }

    func replace(_ resource: Resource, _ object: JSON, subresource: String?, options: WriteOptions) async throws -> JSON {
        guard let name = object["metadata", "name"]?.string, !name.isEmpty else {
            throw APIError.badRequest("resource name may not be empty")
        }
        let path = resource.path(namespace: object["metadata", "namespace"]?.string, name: name, subresource: subresource)
        return try await request("PUT", path, query: options.query, body: object)
    }

    /// Sends one request and decodes the JSON answer; throws the server's `APIError` for non-2xx.
    public func request(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
                        contentType: String = "application/json") async throws -> JSON {
        let response = try await transport.send(transportRequest(method, path, query: query, body: body, contentType: contentType))
        guard (200..<300).contains(response.status) else {
            throw APIError(status: response.status, body: response.body)
        }
        if response.body.isEmpty { return .null }
        do {
            return try JSON.parse(response.body)
        } catch {
            throw ClientError(.invalidResponse, "\(method) \(path): the response is not JSON", cause: error)
        }
    }

    func transportRequest(_ method: String, _ path: String, query: [(String, String)], body: JSON?,
                          contentType: String = "application/json") -> TransportRequest {
        var headers = ["accept": "application/json", "user-agent": userAgent]
        if body != nil { headers["content-type"] = contentType }
        let fullPath = query.isEmpty ? path : path + "?" + PathEncoding.query(query)
        return TransportRequest(method: method, path: fullPath, headers: headers, body: body?.serialized() ?? [])
    }
}
