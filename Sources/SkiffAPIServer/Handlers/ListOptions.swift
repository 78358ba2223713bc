import Foundation
import SkiffModel

/// metav1.ListOptions from the query: selectors, paging, resourceVersion and watch settings.
struct ListOptions {
    var labelSelector: LabelSelector?
    var fieldSelector: FieldSelector?
    var limit = 0
    var continueToken: ContinueToken?
    var resourceVersion: String?
    var resourceVersionMatch: String?
    var timeoutSeconds: Int?
    var allowWatchBookmarks = false
    var sendInitialEvents: Bool?

    /// Reads the options; `fields` are the field labels the kind supports in field selectors.
    /// Kinds without field labels of their own word an unknown one as Kubernetes' default conversion does.
    init(query: [String: String], fields: Set<String>, kindHasOwnFields: Bool) throws(APIError) {
        if let s = query["labelSelector"], !s.isEmpty {
            do { labelSelector = try LabelSelector.parse(s) } catch {
                throw .badRequest("\(error)")
            }
        }
        if let s = query["fieldSelector"], !s.isEmpty {
            do {
                let selector = try FieldSelector.parse(s)
                try selector.checkSupported(fields, defaultConversion: !kindHasOwnFields)
                fieldSelector = selector
            } catch {
                throw .badRequest("\(error)")
            }
        }
        if let l = query["limit"], !l.isEmpty {
            guard let v = Int(l), v >= 0 else { throw .badRequest("limit: Invalid value: \"\(l)\": must be a non-negative integer") }
            limit = v
        }
        if let c = query["continue"], !c.isEmpty {
            continueToken = try ContinueToken.decode(c)
        }
        resourceVersion = query["resourceVersion"].flatMap { $0.isEmpty ? nil : $0 }
        if let rv = resourceVersion, Int64(rv) == nil {
            throw .badRequest("invalid resource version: \(rv)")
        }
        resourceVersionMatch = query["resourceVersionMatch"].flatMap { $0.isEmpty ? nil : $0 }
        if let t = query["timeoutSeconds"], !t.isEmpty {
            guard let v = Int(t), v >= 0 else { throw .badRequest("invalid timeoutSeconds: \(t)") }
            timeoutSeconds = v
        }
        allowWatchBookmarks = query["allowWatchBookmarks"] == "true"
        if let s = query["sendInitialEvents"] { sendInitialEvents = s == "true" }
    }

    func matches(_ o: CachedObject) -> Bool {
        if let l = labelSelector, !l.matches(o.labels) { return false }
        if let f = fieldSelector, !f.matches(o.fields) { return false }
        return true
    }

    var hasFilter: Bool { labelSelector != nil || fieldSelector != nil }
}

/// The `continue` token of a paged list: the revision the list is read at and the last key served.
struct ContinueToken {
    var rv: Int64
    var start: String

    func encode() -> String {
        let json: JSON = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string(start)]
        return Data(json.serialized()).base64EncodedString()
    }

    static func decode(_ s: String) throws(APIError) -> ContinueToken {
        guard let data = Data(base64Encoded: s), let json = try? JSON.parse(Array(data)),
              let rv = json["rv"]?.int, let start = json["start"]?.string else {
            throw .badRequest("continue key is not valid: illegal base64 data")
        }
        return ContinueToken(rv: rv, start: start)
    }
}
