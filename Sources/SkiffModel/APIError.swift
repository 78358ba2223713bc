/// An error the API returns to clients, rendered as a Kubernetes `Status` object.
///
/// `code` is the HTTP status; `reason` is Kubernetes' `StatusReason` (`NotFound`, `AlreadyExists`,
/// `Conflict`, `Invalid`, `Gone`, `Expired`, `BadRequest`, `Forbidden`, ...), which kubectl prints as
/// `Error from server (Reason): message`.
public struct APIError: Error, Sendable, Equatable {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: Details?

    public struct Details: Sendable, Equatable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var causes: [Cause] = []
        public var retryAfterSeconds: Int?

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    public struct Cause: Sendable, Equatable {
        public var reason: String
        public var message: String
        public var field: String?

        public init(reason: String, message: String, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    /// The `Status` object for this error.
    public var status: JSON {
        var s: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if reason.isEmpty { s["reason"] = nil }
        if let d = details {
            var dj: JSON = [:]
            if let n = d.name { dj["name"] = .string(n) }
            if let g = d.group { dj["group"] = .string(g) }
            if let k = d.kind { dj["kind"] = .string(k) }
            if let r = d.retryAfterSeconds { dj["retryAfterSeconds"] = .int(Int64(r)) }
            if !d.causes.isEmpty {
                dj["causes"] = .array(d.causes.map { c in
                    var cj: JSON = ["reason": .string(c.reason), "message": .string(c.message)]
                    if let f = c.field { cj["field"] = .string(f) }
                    return cj
                })
            }
            s["details"] = dj
        }
        return s
    }
}

/// Constructors with Kubernetes' messages (k8s.io/apimachinery/pkg/api/errors).
/// `resource` is the qualified resource as Kubernetes prints it: `pods`, `deployments.apps`.
extension APIError {
    public static func notFound(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
                 details: Details(name: name, group: resource.groupOrNil, kind: resource.resource))
    }

    public static func alreadyExists(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists",
                 details: Details(name: name, group: resource.groupOrNil, kind: resource.resource))
    }

    public static func conflict(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
                 details: Details(name: name, group: resource.groupOrNil, kind: resource.resource))
    }

    public static let optimisticLockMessage = "the object has been modified; please apply your changes to the latest version and try again"

    /// The message names the kind qualified by its group, as `GroupKind.String()`: `Deployment.apps "web" is invalid: ...`.
    public static func invalid(kind: String, group: String = "", name: String, _ errors: [FieldError]) -> APIError {
        let list = errors.map(\.description)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        return APIError(code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(joined)",
                        details: Details(name: name, group: group.isEmpty ? nil : group, kind: kind,
                                         causes: errors.map { Cause(reason: $0.type.causeReason, message: $0.detailMessage, field: $0.field) }))
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func forbidden(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        let target = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(code: 403, reason: "Forbidden", message: "\(target) is forbidden: \(why)",
                        details: Details(name: name.isEmpty ? nil : name, group: resource.groupOrNil, kind: resource.resource))
    }

    public static func methodNotSupported(_ resource: GroupResource, _ verb: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "\(verb) is not supported on resources of kind \"\(resource)\"",
                 details: Details(group: resource.groupOrNil, kind: resource.resource))
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func requestEntityTooLarge(_ message: String) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: message)
    }

    public static func unauthorized() -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    public static func pathNotFound() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    public static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }
}

/// A resource name with its API group, printed as Kubernetes does: `pods`, `deployments.apps`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
    var groupOrNil: String? { group.isEmpty ? nil : group }
}
