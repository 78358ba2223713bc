import SkiffClient
import SkiffModel

/// The resources a server serves, read from its discovery documents (`/api/v1`, `/apis`,
/// `/apis/<group>/<preferred version>`), as client-go's `ServerPreferredResources`: each group at
/// its preferred version, subresources left out.
public struct APIDiscovery: Sendable {
    /// One served resource and what may be done with it.
    public struct Entry: Sendable, Hashable {
        public var resource: Resource
        public var verbs: Set<String>

        public func supports(_ verbs: String...) -> Bool { verbs.allSatisfy(self.verbs.contains) }
    }

    /// Every resource found, in discovery order.
    public var entries: [Entry]
    /// Group versions whose document could not be read, with the reason.
    public var failures: [String: String]

    public init(entries: [Entry], failures: [String: String] = [:]) {
        self.entries = entries
        self.failures = failures
    }

    /// Reads discovery. Throws only when not even the core group could be read; a failed group
    /// is recorded in `failures` and left out.
    public static func read(_ client: Client) async throws -> APIDiscovery {
        var result = APIDiscovery(entries: [])
        result.entries += parse(try await client.request("GET", "/api/v1"), group: "", version: "v1")
        let groups = try await client.request("GET", "/apis")
        for group in groups["groups"]?.array ?? [] {
            guard let name = group["name"]?.string,
                  let gv = group["preferredVersion", "groupVersion"]?.string ?? group["versions"]?.array?.first?["groupVersion"]?.string,
                  let version = gv.split(separator: "/").last.map(String.init) else { continue }
            do {
                result.entries += parse(try await client.request("GET", "/apis/\(gv)"), group: name, version: version)
            } catch {
                result.failures[gv] = "\(error)"
            }
        }
        return result
    }

    static func parse(_ list: JSON, group: String, version: String) -> [Entry] {
        (list["resources"]?.array ?? []).compactMap { r in
            guard let name = r["name"]?.string, !name.contains("/") else { return nil }
            let resource = Resource(group: group, version: version, plural: name, kind: r["kind"]?.string ?? "",
                                    namespaced: r["namespaced"]?.bool ?? false)
            return Entry(resource: resource, verbs: Set((r["verbs"]?.array ?? []).compactMap(\.string)))
        }
    }

    /// The resource of objects of `kind` in `group` (any version), if served.
    public func resource(group: String, kind: String) -> Resource? {
        entries.first { $0.resource.group == group && $0.resource.kind == kind }?.resource
    }
}

extension APIError {
    /// A create refused because the namespace is being deleted (the `NamespaceTerminating` cause).
    var isNamespaceTerminating: Bool {
        code == 403 && (details?.causes.contains { $0.reason == "NamespaceTerminating" } ?? false)
    }
}
