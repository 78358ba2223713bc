import Foundation
import Glibc
import SkiffModel

/// The files of a downwardAPI volume (or projection): Pod metadata by `fieldRef` and container
/// resources by `resourceFieldRef`, as the kubelet's `CollectData`.
enum DownwardAPIPayload {
    static func make(items: [JSON], pod: JSON, defaultMode: mode_t, node: NodeAllocatable) throws(VolumeError) -> [String: FileProjection] {
        var payload: [String: FileProjection] = [:]
        var errors: [String] = []
        for item in items {
            let path = item["path"]?.string ?? ""
            let mode = try KeyToPathPayload.mode(item["mode"]) ?? defaultMode
            do throws(VolumeError) {
                let value: String
                if let fieldPath = item["fieldRef", "fieldPath"]?.string {
                    value = try fieldValue(fieldPath, pod: pod)
                } else if let ref = item["resourceFieldRef"] {
                    value = try resourceValue(ref, pod: pod, node: node)
                } else {
                    throw VolumeError(.invalidVolume, "downwardAPI item \(path) has neither fieldRef nor resourceFieldRef")
                }
                payload[path] = FileProjection(data: Array(value.utf8), mode: mode)
            } catch {
                errors.append(error.message)
            }
        }
        if !errors.isEmpty { throw VolumeError(.invalidVolume, aggregate(errors)) }
        return payload
    }

    /// apimachinery's aggregate error text.
    static func aggregate(_ messages: [String]) -> String {
        messages.count == 1 ? messages[0] : "[" + messages.joined(separator: ", ") + "]"
    }

    /// `fieldpath.ExtractFieldPathAsString` for the fields a volume may use.
    static func fieldValue(_ fieldPath: String, pod: JSON) throws(VolumeError) -> String {
        let meta = pod["metadata"] ?? [:]
        if fieldPath.hasSuffix("']"), let open = fieldPath.range(of: "['") {
            let path = String(fieldPath[..<open.lowerBound])
            let key = String(fieldPath[open.upperBound..<fieldPath.index(fieldPath.endIndex, offsetBy: -2)])
            switch path {
            case "metadata.annotations": return meta["annotations"]?.stringMap[key] ?? ""
            case "metadata.labels": return meta["labels"]?.stringMap[key] ?? ""
            default: throw VolumeError(.invalidVolume, "fieldPath \(goQuote(fieldPath)) does not support subscript")
            }
        }
        switch fieldPath {
        case "metadata.annotations": return formatMap(meta["annotations"]?.stringMap ?? [:])
        case "metadata.labels": return formatMap(meta["labels"]?.stringMap ?? [:])
        case "metadata.name": return meta["name"]?.string ?? ""
        case "metadata.namespace": return meta["namespace"]?.string ?? ""
        case "metadata.uid": return meta["uid"]?.string ?? ""
        default: throw VolumeError(.invalidVolume, "unsupported fieldPath: \(fieldPath)")
        }
    }

    /// `key="value"` lines sorted by key, values quoted as Go's `%q`.
    static func formatMap(_ m: [String: String]) -> String {
        m.keys.sorted().map { "\($0)=\(goQuote(m[$0]!))" }.joined(separator: "\n")
    }

    /// Go's `strconv.Quote` for the characters labels and annotations hold.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\x%02x", u.value)
                } else if (0x80..<0xA0).contains(u.value) || u.value == 0xAD {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// `resource.ExtractResourceValueByContainerNameAndNodeAllocatable`: limits default to the
    /// node's allocatable; a request defaults to the container's limit (as the API server's
    /// defaulting would have set it), else 0. The value is divided by `divisor` (default 1),
    /// rounding up.
    static func resourceValue(_ ref: JSON, pod: JSON, node: NodeAllocatable) throws(VolumeError) -> String {
        let containerName = ref["containerName"]?.string ?? ""
        let resource = ref["resource"]?.string ?? ""
        let containers = (pod["spec", "containers"]?.array ?? []) + (pod["spec", "initContainers"]?.array ?? [])
        guard let c = containers.first(where: { $0["name"]?.string == containerName }) else {
            throw VolumeError(.invalidVolume, "container \(containerName) not found")
        }
        var divisor = Quantity(1)
        if let d = ref["divisor"] {
            do { divisor = try Quantity(json: d) } catch {
                throw VolumeError(.invalidVolume, "invalid divisor for \(resource): \(error)")
            }
            if divisor.isZero { divisor = Quantity(1) }
        }
        func quantity(_ kind: String, _ name: String) throws(VolumeError) -> Quantity? {
            guard let j = c["resources", kind, name] else { return nil }
            do { return try Quantity(json: j) } catch { throw VolumeError(.invalidVolume, "invalid \(kind).\(name) of container \(containerName): \(error)") }
        }
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests",
              ["cpu", "memory", "ephemeral-storage"].contains(parts[1]) || parts[1].hasPrefix("hugepages-")
        else { throw VolumeError(.invalidVolume, "unsupported container resource : \(resource)") }
        let name = parts[1]
        var q = try quantity("limits", name)
        if parts[0] == "requests" {
            q = try quantity("requests", name) ?? q
        } else if q == nil || q!.isZero {
            switch name {
            case "cpu": q = Quantity(milli: node.milliCPU)
            case "memory": q = Quantity(node.memoryBytes)
            case "ephemeral-storage": q = Quantity(node.ephemeralStorageBytes)
            default: break
            }
        }
        let value = q ?? .zero
        let result: Double = name == "cpu"
            ? (Double(value.milliValue) / Double(divisor.milliValue)).rounded(.up)
            : (Double(value.value) / Double(divisor.value)).rounded(.up)
        return String(Int64(result))
    }
}
