import Foundation
import Glibc
import SkiffModel

/// The files of a configMap or secret volume (or projection): the kubelet's `MakePayload`.
enum KeyToPathPayload {
    /// The default `defaultMode` of configMap, secret, downwardAPI and projected volumes.
    static let defaultMode: mode_t = 0o644

    /// ConfigMap `data` and `binaryData` (base64) as bytes per key.
    static func configMapData(_ cm: JSON) throws(VolumeError) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (k, v) in cm["data"]?.members ?? [:] { out[k] = Array((v.string ?? "").utf8) }
        for (k, v) in cm["binaryData"]?.members ?? [:] {
            guard let d = Data(base64Encoded: v.string ?? "") else {
                throw VolumeError(.invalidVolume, "configmap \"\(cm["metadata", "name"]?.string ?? "")\" has invalid base64 in binaryData key \(k)")
            }
            out[k] = Array(d)
        }
        return out
    }

    /// Secret `data` (base64) as bytes per key; `stringData` too, should a server leave it in.
    static func secretData(_ secret: JSON) throws(VolumeError) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (k, v) in secret["stringData"]?.members ?? [:] { out[k] = Array((v.string ?? "").utf8) }
        for (k, v) in secret["data"]?.members ?? [:] {
            guard let d = Data(base64Encoded: v.string ?? "") else {
                throw VolumeError(.invalidVolume, "secret \"\(secret["metadata", "name"]?.string ?? "")\" has invalid base64 in key \(k)")
            }
            out[k] = Array(d)
        }
        return out
    }

    /// With no `items`, every key becomes a file named after it with `defaultMode`; with
    /// `items`, only those keys, at their `path`, with their `mode` (else `defaultMode`). A
    /// missing key is an error unless `optional` (then it is skipped). `missingKey` words the error.
    static func make(data: [String: [UInt8]], items: [JSON]?, defaultMode: mode_t, optional: Bool,
                     missingKey: (String) -> String) throws(VolumeError) -> [String: FileProjection] {
        var payload: [String: FileProjection] = [:]
        guard let items, !items.isEmpty else {
            for (k, v) in data { payload[k] = FileProjection(data: v, mode: defaultMode) }
            return payload
        }
        for item in items {
            let key = item["key"]?.string ?? ""
            guard let bytes = data[key] else {
                if optional { continue }
                throw VolumeError(.notFound, missingKey(key))
            }
            let path = item["path"]?.string ?? ""
            payload[path] = FileProjection(data: bytes, mode: try mode(item["mode"]) ?? defaultMode)
        }
        return payload
    }

    /// A `mode`/`defaultMode` field: nil when absent; 0...0777 as the API validates.
    static func mode(_ json: JSON?) throws(VolumeError) -> mode_t? {
        guard let json else { return nil }
        guard let m = json.int, (0...0o777).contains(m) else {
            throw VolumeError(.invalidVolume, "invalid file mode \(json.serializedString()): must be a number between 0 and 0777 (octal), both inclusive")
        }
        return mode_t(m)
    }
}
