import SkiffModel

extension APIError {
    /// The error a server answered with: decoded from its `Status` body when it sent one, else
    /// made from the HTTP status as client-go does for bodies that are not a Status.
    public init(status: Int, body: [UInt8]) {
        if let json = try? JSON.parse(body), json["kind"]?.string == "Status" {
            self.init(statusObject: json, httpStatus: status)
            return
        }
        let text = String(decoding: body.prefix(1024), as: UTF8.self)
        let (reason, message) = Self.generic(status)
        self.init(code: status, reason: reason, message: text.isEmpty ? message : "\(message) (\(text))")
    }

    /// The error a `Status` object describes (an ERROR watch event, or a failed request's body).
    public init(statusObject json: JSON, httpStatus: Int? = nil) {
        let code = json["code"]?.int.map(Int.init) ?? httpStatus ?? 500
        var details: Details?
        if let d = json["details"], d.object != nil {
            details = Details(name: d["name"]?.string, group: d["group"]?.string, kind: d["kind"]?.string,
                              causes: (d["causes"]?.array ?? []).map {
                                  Cause(reason: $0["reason"]?.string ?? "", message: $0["message"]?.string ?? "", field: $0["field"]?.string)
                              },
                              retryAfterSeconds: d["retryAfterSeconds"]?.int.map(Int.init))
        }
        self.init(code: code, reason: json["reason"]?.string ?? Self.generic(code).reason,
                  message: json["message"]?.string ?? Self.generic(code).message, details: details)
    }

    /// Reason and message for a bare HTTP status (apimachinery's NewGenericServerResponse).
    static func generic(_ code: Int) -> (reason: String, message: String) {
        switch code {
        case 400: return ("BadRequest", "the server rejected our request for an unknown reason")
        case 401: return ("Unauthorized", "the server has asked for the client to provide credentials")
        case 403: return ("Forbidden", "the server does not allow access to the requested resource")
        case 404: return ("NotFound", "the server could not find the requested resource")
        case 405: return ("MethodNotAllowed", "the server does not allow this method on the requested resource")
        case 406: return ("NotAcceptable", "the server was unable to respond with a content type that the client supports")
        case 409: return ("Conflict", "the server reported a conflict")
        case 410: return ("Expired", "the requested resource version is no longer available")
        case 413: return ("RequestEntityTooLarge", "the server has rejected the request because it is too large")
        case 415: return ("UnsupportedMediaType", "the server was unable to respond with a content type that the client supports")
        case 422: return ("Invalid", "the server rejected our request due to an error in our request")
        case 429: return ("TooManyRequests", "the server has received too many requests and has asked us to try again later")
        case 500: return ("InternalError", "an error on the server has prevented the request from succeeding")
        case 503: return ("ServiceUnavailable", "the server is currently unable to handle the request")
        case 504: return ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request")
        default: return ("", "an error on the server (\"unknown\") has prevented the request from succeeding")
        }
    }

    /// 410: the resourceVersion asked for is older than the server keeps; list again.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
    public var isNotFound: Bool { reason == "NotFound" || (reason.isEmpty && code == 404) }
    public var isConflict: Bool { code == 409 && reason == "Conflict" }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
}
