/// A parsed image reference, as Docker reads one: `busybox` is `docker.io/library/busybox:latest`;
/// `127.0.0.1:5000/app@sha256:...` names a registry on a port and a digest.
///
/// The first path component is a registry only when it contains `.` or `:` or is `localhost`
/// (Docker's rule). A reference with a digest keeps its tag only for display; pulls use the digest.
///
/// ```swift
/// let ref = try ImageReference(parsing: "busybox")
/// ref.registry   // "docker.io"
/// ref.repository // "library/busybox"
/// ref.tag        // "latest"
/// ```
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    public var registry: String
    /// `library/busybox`, `org/app`.
    public var repository: String
    public var tag: String?
    /// `sha256:<64 hex>`.
    public var digest: String?

    public static let defaultRegistry = "docker.io"

    public init(registry: String, repository: String, tag: String? = nil, digest: String? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing string: String) throws {
        func invalid(_ why: String) -> ImageError {
            ImageError(.invalidReference, "invalid image reference \"\(string)\": \(why)")
        }
        guard !string.isEmpty else { throw invalid("empty") }
        var rest = Substring(string)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard Digest.isValid(d) else { throw invalid("bad digest") }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(t) else { throw invalid("bad tag") }
            tag = t
            rest = rest[..<colon]
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = Self.defaultRegistry
        if parts.count > 1, let first = parts.first, first.contains(".") || first.contains(":") || first == "localhost" {
            registry = first
            parts.removeFirst()
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Self.defaultRegistry }
        guard !parts.isEmpty, parts.allSatisfy(Self.isValidPathComponent) else { throw invalid("bad repository name") }
        if registry == Self.defaultRegistry && parts.count == 1 { parts.insert("library", at: 0) }
        if tag == nil && digest == nil { tag = "latest" }
        self.init(registry: registry, repository: parts.joined(separator: "/"), tag: tag, digest: digest)
    }

    /// The tag or digest to ask the registry for: the digest when there is one.
    public var reference: String { digest ?? tag ?? "latest" }

    /// The host and port to connect to: Docker Hub's API lives at `registry-1.docker.io`.
    public var endpointHost: String { registry == Self.defaultRegistry ? "registry-1.docker.io" : registry }

    /// `docker.io/library/busybox:latest`, `host:5000/app@sha256:...`.
    public var description: String {
        var s = "\(registry)/\(repository)"
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    /// The name without tag or digest: `docker.io/library/busybox`.
    public var name: String { "\(registry)/\(repository)" }

    static func isValidTag(_ t: String) -> Bool {
        guard let first = t.utf8.first, t.utf8.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return word(first) && t.utf8.allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// Lowercase alphanumerics separated by `.`, `_`, `__` or runs of `-`.
    static func isValidPathComponent(_ p: String) -> Bool {
        let bytes = Array(p.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
        guard alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }
}
