import SkiffModel

extension Client {
    /// metav1.ListOptions: selectors, paging and the resourceVersion a list or watch starts from.
    public struct ListOptions: Sendable {
        public var labelSelector: LabelSelector?
        public var fieldSelector: FieldSelector?
        /// For a list: "" for a consistent read, "0" for any cached state. For a watch: the
        /// version after which events are sent (nil: the current objects first, as ADDED).
        public var resourceVersion: String?
        /// `Exact` or `NotOlderThan`, for lists with a resourceVersion.
        public var resourceVersionMatch: String?
        /// The page size of a list; continue with `continueToken`.
        public var limit: Int?
        public var continueToken: String?
        /// How long the server keeps a watch open before ending it.
        public var timeoutSeconds: Int?
        /// Ask for BOOKMARK events carrying the current resourceVersion on a quiet watch.
        public var allowWatchBookmarks = false

        public init(labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, resourceVersion: String? = nil,
                    resourceVersionMatch: String? = nil, limit: Int? = nil, continueToken: String? = nil,
                    timeoutSeconds: Int? = nil, allowWatchBookmarks: Bool = false) {
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.resourceVersion = resourceVersion
            self.resourceVersionMatch = resourceVersionMatch
            self.limit = limit
            self.continueToken = continueToken
            self.timeoutSeconds = timeoutSeconds
            self.allowWatchBookmarks = allowWatchBookmarks
        }

        func query(watch: Bool) -> [(String, String)] {
            var q: [(String, String)] = []
            if watch { q.append(("watch", "true")) }
            if let l = labelSelector, !l.isEverything { q.append(("labelSelector", l.description)) }
            if let f = fieldSelector, !f.isEverything { q.append(("fieldSelector", f.description)) }
            if let rv = resourceVersion { q.append(("resourceVersion", rv)) }
            if let m = resourceVersionMatch { q.append(("resourceVersionMatch", m)) }
            if let l = limit { q.append(("limit", String(l))) }
            if let c = continueToken { q.append(("continue", c)) }
            if let t = timeoutSeconds { q.append(("timeoutSeconds", String(t))) }
            if watch && allowWatchBookmarks { q.append(("allowWatchBookmarks", "true")) }
            return q
        }
    }

    /// Options of create and update.
    public struct WriteOptions: Sendable {
        /// Validate and return the result without storing it.
        public var dryRun = false
        /// The manager recorded in `managedFields` (default: from the User-Agent).
        public var fieldManager: String?
        /// `Strict`, `Warn` or `Ignore`: what the server does with unknown fields.
        public var fieldValidation: String?

        public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: String? = nil) {
            self.dryRun = dryRun
            self.fieldManager = fieldManager
            self.fieldValidation = fieldValidation
        }

        var query: [(String, String)] {
            var q: [(String, String)] = []
            if dryRun { q.append(("dryRun", "All")) }
            if let m = fieldManager { q.append(("fieldManager", m)) }
            if let v = fieldValidation { q.append(("fieldValidation", v)) }
            return q
        }
    }

    /// Options of patch; server-side apply requires `fieldManager`.
    public struct PatchOptions: Sendable {
        public var dryRun = false
        public var fieldManager: String?
        /// Server-side apply only: take ownership of fields other managers own.
        public var force = false

        public init(dryRun: Bool = false, fieldManager: String? = nil, force: Bool = false) {
            self.dryRun = dryRun
            self.fieldManager = fieldManager
            self.force = force
        }

        var query: [(String, String)] {
            var q: [(String, String)] = []
            if dryRun { q.append(("dryRun", "All")) }
            if let m = fieldManager { q.append(("fieldManager", m)) }
            if force { q.append(("force", "true")) }
            return q
        }
    }

    /// metav1.DeleteOptions, sent as the request body.
    public struct DeleteOptions: Sendable {
        public enum Propagation: String, Sendable {
            case orphan = "Orphan", background = "Background", foreground = "Foreground"
        }

        public var gracePeriodSeconds: Int64?
        public var propagationPolicy: Propagation?
        /// Delete only if the object still has this UID.
        public var preconditionUID: String?
        /// Delete only if the object is still at this resourceVersion.
        public var preconditionResourceVersion: String?
        public var dryRun = false

        public init(gracePeriodSeconds: Int64? = nil, propagationPolicy: Propagation? = nil, preconditionUID: String? = nil,
                    preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
            self.gracePeriodSeconds = gracePeriodSeconds
            self.propagationPolicy = propagationPolicy
            self.preconditionUID = preconditionUID
            self.preconditionResourceVersion = preconditionResourceVersion
            self.dryRun = dryRun
        }

        var body: JSON? {
            var b: JSON = ["kind": "DeleteOptions", "apiVersion": "v1"]
            if let g = gracePeriodSeconds { b["gracePeriodSeconds"] = .int(g) }
            if let p = propagationPolicy { b["propagationPolicy"] = .string(p.rawValue) }
            if let u = preconditionUID { b["preconditions", "uid"] = .string(u) }
            if let rv = preconditionResourceVersion { b["preconditions", "resourceVersion"] = .string(rv) }
            if dryRun { b["dryRun"] = ["All"] }
            return b.members.count == 2 ? nil : b
        }
    }

    /// One page of a list: its items and the list's metadata.
    public struct ObjectList: Sendable {
        public var items: [JSON]
        /// The version the list was read at; a watch continues from it.
        public var resourceVersion: String
        /// Set when more pages follow.
        public var continueToken: String?
        /// The whole response.
        public var raw: JSON

        init(_ json: JSON) {
            items = json["items"]?.array ?? []
            resourceVersion = json["metadata", "resourceVersion"]?.string ?? ""
            continueToken = json["metadata", "continue"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            raw = json
        }
    }
}
