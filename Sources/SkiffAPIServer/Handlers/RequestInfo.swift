import NIOHTTP1
import SkiffModel

/// What a request addresses, parsed from its path and method (kube-apiserver's `RequestInfo`).
public struct RequestInfo: Sendable, Equatable {
    public var isResourceRequest = false
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or the HTTP method lowercased.
    public var verb = ""
    public var group = ""
    public var version = ""
    public var namespace = ""
    public var resource = ""
    public var name = ""
    public var subresource = ""
    /// Path segments for non-resource requests.
    public var segments: [String] = []

    /// Parses `/api/v1/...` and `/apis/<group>/<version>/...` paths.
    public init(method: HTTPMethod, path: String, query: [String: String]) {
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { Request.percentDecode($0) }
        verb = method.rawValue.lowercased()
        var rest: ArraySlice<String>
        if segments.first == "api", segments.count >= 2 {
            version = segments[1]
            rest = segments[2...]
        } else if segments.first == "apis", segments.count >= 3 {
            group = segments[1]
            version = segments[2]
            rest = segments[3...]
        } else {
            return
        }
        guard !rest.isEmpty else { return }
        isResourceRequest = true
        if rest.first == "namespaces", rest.count >= 3, !["status", "finalize"].contains(rest[rest.startIndex + 2]) {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        } else if rest.first == "namespaces", rest.count >= 2 {
            namespace = rest[rest.startIndex + 1]
        }
        resource = rest.first ?? ""
        if rest.count >= 2 { name = rest[rest.startIndex + 1] }
        if rest.count >= 3 { subresource = rest.dropFirst(2).joined(separator: "/") }
        let watch = query["watch"] == "1" || query["watch"] == "true"
        switch method {
        case .GET, .HEAD: verb = name.isEmpty ? (watch ? "watch" : "list") : (watch ? "watch" : "get")
        case .POST: verb = "create"
        case .PUT: verb = "update"
        case .PATCH: verb = "patch"
        case .DELETE: verb = name.isEmpty ? "deletecollection" : "delete"
        default: break
        }
        if resource == "namespaces" && namespace == name { namespace = "" }
    }
}
