import SkiffModel
import Yams

/// YAML request bodies (`application/yaml`, `application/apply-patch+yaml`) as JSON values.
enum YAMLDecoder {
    static func decode(_ bytes: [UInt8]) throws(APIError) -> JSON {
        let text = String(decoding: bytes, as: UTF8.self)
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw .badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { throw .badRequest("the body of the request was empty") }
        return try json(node)
    }

    static func json(_ node: Node) throws(APIError) -> JSON {
        switch node {
        case .scalar(let s):
            switch s.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(Bool.construct(from: s) ?? false)
            case Tag.Name.int.rawValue:
                if let i = Int.construct(from: s) { return .int(Int64(i)) }
                return .string(s.string)
            case Tag.Name.float.rawValue:
                if let d = Double.construct(from: s) { return .double(d) }
                return .string(s.string)
            default: return .string(s.string)
            }
        case .sequence(let seq):
            var out: [JSON] = []
            for n in seq { out.append(try json(n)) }
            return .array(out)
        case .mapping(let map):
            var out: [String: JSON] = [:]
            for (k, v) in map {
                guard case .scalar(let ks) = k else { throw .badRequest("error converting YAML to JSON: non-string key") }
                out[ks.string] = try json(v)
            }
            return .object(out)
        }
    }
}
