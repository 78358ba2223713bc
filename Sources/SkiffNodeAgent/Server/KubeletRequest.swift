/// A request target on the agent's server: the path's segments (percent-decoded) and the query
/// with repeated keys kept (`command=sh&command=-c`).
struct KubeletRequestTarget: Sendable, Equatable {
    var segments: [String]
    var query: [(String, String)]

    init(uri: String) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        segments = parts[0].split(separator: "/").map { Self.percentDecode($0) }
        query = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((Self.percentDecode(kv[0]), kv.count > 1 ? Self.percentDecode(kv[1]) : ""))
            }
        }
    }

    /// The first value of `key`, as Go's `url.Values.Get`.
    func first(_ key: String) -> String? { query.first { $0.0 == key }?.1 }
    func all(_ key: String) -> [String] { query.filter { $0.0 == key }.map(\.1) }

    /// The query as a dictionary of first values.
    var firstValues: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in query where out[k] == nil { out[k] = v }
        return out
    }

    static func == (a: Self, b: Self) -> Bool {
        a.segments == b.segments && a.query.map { "\($0.0)=\($0.1)" } == b.query.map { "\($0.0)=\($0.1)" }
    }

    static func percentDecode(_ s: Substring) -> String {
        guard s.contains("%") || s.contains("+") else { return String(s) }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `/exec/{namespace}/{pod}/{container}?command=...&input=1&output=1&error=1&tty=1` (and
/// `/attach/...` without `command`), with the kubelet's parameter names and `"1"` for true.
struct ExecRequest: Sendable, Equatable {
    var namespace: String
    var pod: String
    var container: String
    var command: [String]
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var tty: Bool

    /// Nil when the target is not an exec; throws when its parameters are wrong.
    static func parse(_ target: KubeletRequestTarget) throws(KubeletStreamingError) -> ExecRequest? {
        let s = target.segments
        guard s.first == "exec" else { return nil }
        // `/exec/{namespace}/{pod}/{container}`; the kubelet also accepts a pod UID before the container.
        guard s.count == 4 || s.count == 5 else { throw .notFound("404 page not found") }
        var r = ExecRequest(namespace: s[1], pod: s[2], container: s[s.count - 1], command: target.all("command"),
                            stdin: target.first("input") == "1", stdout: target.first("output") == "1",
                            stderr: target.first("error") == "1", tty: target.first("tty") == "1")
        if !r.stdin && !r.stdout && !r.stderr {
            throw .badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        if r.command.isEmpty { throw .badRequest("you must specify at least one command for the container") }
        // With a terminal, stderr is merged into stdout, as the kubelet does.
        if r.tty { r.stderr = false }
        return r
    }
}

extension ExecRequest {
    /// `/attach/{namespace}/{pod}/{container}?input=1&output=1&error=1&tty=1`: nil when the target
    /// is not an attach.
    static func parseAttach(_ target: KubeletRequestTarget) throws(KubeletStreamingError) -> ExecRequest? {
        let s = target.segments
        guard s.first == "attach" else { return nil }
        guard s.count == 4 || s.count == 5 else { throw .notFound("404 page not found") }
        var r = ExecRequest(namespace: s[1], pod: s[2], container: s[s.count - 1], command: [],
                            stdin: target.first("input") == "1", stdout: target.first("output") == "1",
                            stderr: target.first("error") == "1", tty: target.first("tty") == "1")
        if !r.stdin && !r.stdout && !r.stderr {
            throw .badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        if r.tty { r.stderr = false }
        return r
    }
}
