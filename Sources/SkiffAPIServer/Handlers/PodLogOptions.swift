import SkiffModel

/// The query of `pods/{name}/log` (core/v1 `PodLogOptions`), validated as Kubernetes does, and
/// the query the node agent's `/containerLogs` is asked with.
struct PodLogOptions: Equatable {
    var container = ""
    var follow = false
    var previous = false
    var timestamps = false
    var sinceSeconds: Int64?
    var sinceTime: String?
    var tailLines: Int64?
    var limitBytes: Int64?

    init(query: [String: String], podName: String) throws(APIError) {
        container = query["container"] ?? ""
        follow = APIServer.queryBool(query["follow"])
        previous = APIServer.queryBool(query["previous"])
        timestamps = APIServer.queryBool(query["timestamps"])
        sinceSeconds = try Self.int(query, "sinceSeconds")
        tailLines = try Self.int(query, "tailLines")
        limitBytes = try Self.int(query, "limitBytes")
        if let t = query["sinceTime"], !t.isEmpty {
            guard let seconds = Timestamp.parse(t) else {
                throw .badRequest("parsing time \"\(t)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\(t)\" as \"2006\"")
            }
            sinceTime = Timestamp.format(seconds)
        }
        var errors: [FieldError] = []
        if let n = tailLines, n < 0 { errors.append(.invalid("tailLines", .int(n), "must be greater than or equal to 0")) }
        if let n = limitBytes, n < 1 { errors.append(.invalid("limitBytes", .int(n), "must be greater than 0")) }
        if sinceSeconds != nil && sinceTime != nil {
            errors.append(.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
        } else if let n = sinceSeconds, n < 1 {
            errors.append(.invalid("sinceSeconds", .int(n), "must be greater than 0"))
        }
        if !errors.isEmpty { throw .invalid(kind: "PodLogOptions", name: podName, errors) }
    }

    static func int(_ query: [String: String], _ key: String) throws(APIError) -> Int64? {
        guard let v = query[key], !v.isEmpty else { return nil }
        guard let n = Int64(v) else { throw .badRequest("strconv.ParseInt: parsing \"\(v)\": invalid syntax") }
        return n
    }

    /// The agent's query, keys sorted as Go's `url.Values.Encode`.
    var kubeletQuery: String {
        var q: [(String, String)] = []
        if follow { q.append(("follow", "true")) }
        if let n = limitBytes { q.append(("limitBytes", String(n))) }
        if previous { q.append(("previous", "true")) }
        if let n = sinceSeconds { q.append(("sinceSeconds", String(n))) }
        if let t = sinceTime { q.append(("sinceTime", t)) }
        if let n = tailLines { q.append(("tailLines", String(n))) }
        if timestamps { q.append(("timestamps", "true")) }
        return q.map { "\($0.0)=\(APIServer.queryEscape($0.1))" }.joined(separator: "&")
    }
}
