import NIOHTTP1
import SkiffModel

/// One resource request being served: what it addresses, the version it speaks, and the
/// warnings to send back.
struct RequestContext {
    var request: Request
    var info: RequestInfo
    var type: ResourceType
    /// The conversion from the storage version to the requested one, if they differ.
    var conversion: VersionConversion?
    var warnings: [String] = []
    /// False once the body was parsed and no object in it had a member twice.
    var bodyMayHaveDuplicates = true

    init(request: Request, info: RequestInfo, type: ResourceType) throws(APIError) {
        self.request = request
        self.info = info
        self.type = type
        format = Self.format(accept: request.headers.first(name: "accept") ?? "")
        if !type.namespaced && !info.namespace.isEmpty && type.plural != "namespaces" {
            throw .pathNotFound()
        }
        if info.version != type.version {
            conversion = type.conversion(for: info.version)
            if let w = conversion?.warning { warnings.append(w) }
        } else {
            conversion = type.sharedStorage?.conversion
        }
    }

    /// The namespace addressed (nil for cluster-scoped kinds and all-namespace lists).
    var namespace: String? { type.namespaced && !info.namespace.isEmpty ? info.namespace : nil }
    var apiVersion: String { type.group.isEmpty ? info.version : "\(type.group)/\(info.version)" }
    var query: [String: String] { request.query }
    var dryRun: Bool { query["dryRun"] == "All" }

    /// The list options of the query, with the field labels this kind supports.
    func listOptions() throws(APIError) -> ListOptions {
        let own = Set(type.strategy.selectableFields([:]).keys)
        let fields = own.union(type.namespaced ? ["metadata.name", "metadata.namespace"] : ["metadata.name"])
        return try ListOptions(query: query, fields: fields, kindHasOwnFields: !own.isEmpty)
    }

    /// The writer for `managedFields`: `?fieldManager=`, else the client's User-Agent up to its first `/`.
    var fieldManager: FieldManager {
        let agent = request.headers.first(name: "user-agent") ?? "unknown"
        let name = query["fieldManager"].flatMap { $0.isEmpty ? nil : $0 } ?? String(agent.split(separator: "/").first ?? "unknown")
        return FieldManager(manager: name, apiVersion: apiVersion, subresource: info.subresource)
    }

    /// An object from storage in the requested version.
    func output(_ object: JSON) -> JSON {
        guard let c = conversion else { return object }
        var o = c.fromStorage(object)
        o["apiVersion"] = .string(apiVersion)
        return o
    }

    /// The response with a written object: the bytes the write made when no conversion applies.
    func respond(_ written: Written, status: HTTPResponseStatus = .ok) -> Response {
        if conversion == nil, let bytes = written.bytes { return .raw(bytes, status: status) }
        return .json(output(written.object), status: status)
    }

    /// Serialized bytes of a cached object in the requested version.
    func outputBytes(_ cached: CachedObject) -> [UInt8] {
        conversion == nil ? cached.bytes : output(cached.object).serialized()
    }

    /// What the client asked the response to be.
    enum Format { case object, table, metadata }

    /// Read once from the `Accept` header (watches consult it for every event).
    let format: Format

    static func format(accept: String) -> Format {
        for option in accept.split(separator: ",") {
            let params = option.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains(where: { $0 == "as=Table" }) { return .table }
            if params.contains(where: { $0 == "as=PartialObjectMetadata" || $0 == "as=PartialObjectMetadataList" }) { return .metadata }
            if params.first == "application/json" || params.first == "*/*" || params.first == "application/*" { return .object }
        }
        return .object
    }

    /// The request body as sent.
    func rawBody() throws(APIError) -> JSON {
        var hasDuplicates = true
        return try BodyDecoder.decode(request.body, contentType: request.contentType, hasDuplicates: &hasDuplicates)
    }

    /// The request body as sent, noting whether its JSON had a member twice (for `fieldValidation`).
    mutating func rawBodyNotingDuplicates() throws(APIError) -> JSON {
        try BodyDecoder.decode(request.body, contentType: request.contentType, hasDuplicates: &bodyMayHaveDuplicates)
    }

    /// The request body as an object in the storage version, checked against what the URL addresses.
    func decodeBody(_ parsed: JSON? = nil) throws(APIError) -> JSON {
        let body: JSON
        if let parsed { body = parsed } else { body = try rawBody() }
        guard body.object != nil else {
            throw .badRequest("Object '\(type.kind)' is missing in '\(String(decoding: request.body.prefix(200), as: UTF8.self))'")
        }
        if let kind = body["kind"]?.string, !kind.isEmpty, kind != type.kind {
            throw .badRequest("the kind of the object (\(kind)) does not match the kind on the URL (\(type.kind))")
        }
        if let av = body["apiVersion"]?.string, !av.isEmpty, av != apiVersion {
            throw .badRequest("the API version in the data (\(av)) does not match the expected API version (\(apiVersion))")
        }
        var obj = body
        if let conversion {
            obj = conversion.toStorage(body)  // sets the stored form's apiVersion
            obj["kind"] = .string(type.kind)
        } else {
            obj["apiVersion"] = .string(type.apiVersion)
            obj["kind"] = .string(type.kind)
        }
        if obj["metadata"] == nil { obj["metadata"] = [:] }
        if type.namespaced {
            let bodyNS = obj["metadata", "namespace"]?.string ?? ""
            if bodyNS.isEmpty {
                if let ns = namespace { obj["metadata", "namespace"] = .string(ns) }
            } else if let ns = namespace, ns != bodyNS {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
        }
        return obj
    }
}

/// Request bodies: JSON, YAML for the content types that carry it, or Kubernetes protobuf.
enum BodyDecoder {
    static func decode(_ bytes: [UInt8], contentType: String) throws(APIError) -> JSON {
        var hasDuplicates = true
        return try decode(bytes, contentType: contentType, hasDuplicates: &hasDuplicates)
    }

    /// `hasDuplicates` is set false when the body is JSON in which no object has a member twice.
    static func decode(_ bytes: [UInt8], contentType: String, hasDuplicates: inout Bool) throws(APIError) -> JSON {
        if bytes.isEmpty { throw .badRequest("the body of the request was empty") }
        if contentType.hasPrefix(KubernetesProtobuf.contentType) {
            do {
                return try decodeKubernetesProtobuf(bytes)
            } catch {
                if error.code == .unknownType { throw .unsupportedMediaType(contentType) }
                throw .badRequest("error decoding request body: \(error.message)")
            }
        }
        if !(contentType.hasPrefix("application/") && (contentType.hasSuffix("json") || contentType.hasSuffix("yaml"))) {
            // The rest: clients fall back to JSON on 415.
            throw .unsupportedMediaType(contentType)
        }
        do {
            let (value, duplicates) = try JSON.parseNotingDuplicates(bytes)
            hasDuplicates = duplicates
            return value
        } catch {
            if contentType.contains("yaml") {
                return try YAMLDecoder.decode(bytes)
            }
            throw .badRequest("error decoding request body: \(error.message) at offset \(error.offset)")
        }
    }
}
