import Foundation
import SkiffModel

/// The ConfigMaps and Secrets a container's environment refers to, fetched by the caller.
/// Secret values are decoded (the bytes of `data`, as text).
public struct EnvSources: Sendable {
    public var configMaps: [String: [String: String]]
    public var secrets: [String: [String: String]]

    public init(configMaps: [String: [String: String]] = [:], secrets: [String: [String: String]] = [:]) {
        self.configMaps = configMaps
        self.secrets = secrets
    }

    /// The ConfigMap and Secret names `container` refers to (in `env` and `envFrom`).
    public static func references(of container: JSON) -> (configMaps: Set<String>, secrets: Set<String>) {
        var cms = Set<String>(), secrets = Set<String>()
        for e in container["envFrom"]?.array ?? [] {
            if let n = e["configMapRef", "name"]?.string { cms.insert(n) }
            if let n = e["secretRef", "name"]?.string { secrets.insert(n) }
        }
        for e in container["env"]?.array ?? [] {
            if let n = e["valueFrom", "configMapKeyRef", "name"]?.string { cms.insert(n) }
            if let n = e["valueFrom", "secretKeyRef", "name"]?.string { secrets.insert(n) }
        }
        return (cms, secrets)
    }

    /// A ConfigMap's `data` and `binaryData` (as text).
    public static func configMapValues(_ cm: JSON) -> [String: String] {
        var out = cm["data"]?.stringMap ?? [:]
        for (k, v) in cm["binaryData"]?.stringMap ?? [:] {
            if let d = Data(base64Encoded: v) { out[k] = String(decoding: d, as: UTF8.self) }
        }
        return out
    }

    /// A Secret's `data` decoded from base64 (and `stringData`, should a server leave it).
    public static func secretValues(_ secret: JSON) -> [String: String] {
        var out = secret["stringData"]?.stringMap ?? [:]
        for (k, v) in secret["data"]?.stringMap ?? [:] {
            if let d = Data(base64Encoded: v) { out[k] = String(decoding: d, as: UTF8.self) }
        }
        return out
    }
}

/// Why a container's environment cannot be made; the container waits with
/// `CreateContainerConfigError` and this message, as in the kubelet.
public struct EnvError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Resolves a container's environment as the kubelet does: `envFrom` sources in order, then
/// `env` in order (later names replace earlier ones); `valueFrom` reads ConfigMaps, Secrets, the
/// Pod's fields and the container's resources; values expand `$(VAR)` from what came before.
public enum EnvResolver {
    /// The container's variables in order. `pod` should carry `status.podIP`/`hostIP` when known.
    public static func resolve(pod: JSON, container: JSON, sources: EnvSources,
                               nodeAllocatable: [String: Quantity] = [:]) throws(EnvError) -> [(String, String)] {
        var names: [String] = []
        var values: [String: String] = [:]
        func set(_ k: String, _ v: String) {
            if values[k] == nil { names.append(k) }
            values[k] = v
        }
        for from in container["envFrom"]?.array ?? [] {
            let prefix = from["prefix"]?.string ?? ""
            let data: [String: String]?
            let name: String, optional: Bool, kind: String
            if let ref = from["configMapRef"] {
                name = ref["name"]?.string ?? ""; optional = ref["optional"]?.bool ?? false; kind = "configmap"
                data = sources.configMaps[name]
            } else if let ref = from["secretRef"] {
                name = ref["name"]?.string ?? ""; optional = ref["optional"]?.bool ?? false; kind = "secret"
                data = sources.secrets[name]
            } else { continue }
            guard let data else {
                if optional { continue }
                throw EnvError("\(kind) \"\(name)\" not found")
            }
            for k in data.keys.sorted() where !(prefix + k).contains("=") && !(prefix + k).isEmpty {
                set(prefix + k, data[k]!)
            }
        }
        for e in container["env"]?.array ?? [] {
            guard let name = e["name"]?.string else { continue }
            if let from = e["valueFrom"] {
                guard let v = try valueFrom(from, pod: pod, container: container, sources: sources,
                                            nodeAllocatable: nodeAllocatable) else { continue }
                set(name, v)
            } else {
                set(name, expand(e["value"]?.string ?? "") { values[$0] })
            }
        }
        return names.map { ($0, values[$0]!) }
    }

    static func valueFrom(_ from: JSON, pod: JSON, container: JSON, sources: EnvSources,
                          nodeAllocatable: [String: Quantity]) throws(EnvError) -> String? {
        if let ref = from["configMapKeyRef"] ?? from["secretKeyRef"] {
            let isSecret = from["secretKeyRef"] != nil
            let name = ref["name"]?.string ?? "", key = ref["key"]?.string ?? ""
            let optional = ref["optional"]?.bool ?? false
            let kind = isSecret ? "secret" : "configmap"
            guard let data = isSecret ? sources.secrets[name] : sources.configMaps[name] else {
                if optional { return nil }
                throw EnvError("\(kind) \"\(name)\" not found")
            }
            guard let v = data[key] else {
                if optional { return nil }
                throw EnvError("couldn't find key \(key) in \(isSecret ? "Secret" : "ConfigMap") \(pod["metadata", "namespace"]?.string ?? "")/\(name)")
            }
            return v
        }
        if let path = from["fieldRef", "fieldPath"]?.string {
            return try fieldValue(path, pod: pod)
        }
        if let ref = from["resourceFieldRef"] {
            return try resourceValue(ref, container: container, nodeAllocatable: nodeAllocatable)
        }
        return nil
    }

    /// The downward API's pod fields.
    public static func fieldValue(_ path: String, pod: JSON) throws(EnvError) -> String {
        func mapKey(_ prefix: String) -> String? {
            guard path.hasPrefix(prefix + "['"), path.hasSuffix("']") else { return nil }
            return String(path.dropFirst(prefix.count + 2).dropLast(2))
        }
        if let k = mapKey("metadata.labels") { return pod["metadata", "labels", k]?.string ?? "" }
        if let k = mapKey("metadata.annotations") { return pod["metadata", "annotations", k]?.string ?? "" }
        switch path {
        case "metadata.name": return pod["metadata", "name"]?.string ?? ""
        case "metadata.namespace": return pod["metadata", "namespace"]?.string ?? ""
        case "metadata.uid": return pod["metadata", "uid"]?.string ?? ""
        case "metadata.labels", "metadata.annotations":
            let map = (path == "metadata.labels" ? pod["metadata", "labels"] : pod["metadata", "annotations"])?.stringMap ?? [:]
            return map.keys.sorted().map { "\($0)=\"\(map[$0]!)\"" }.joined(separator: "\n")
        case "spec.nodeName": return pod["spec", "nodeName"]?.string ?? ""
        case "spec.serviceAccountName": return pod["spec", "serviceAccountName"]?.string ?? ""
        case "status.podIP": return pod["status", "podIP"]?.string ?? ""
        case "status.hostIP": return pod["status", "hostIP"]?.string ?? ""
        case "status.podIPs":
            return (pod["status", "podIPs"]?.array ?? []).compactMap { $0["ip"]?.string }.joined(separator: ",")
        case "status.hostIPs":
            return (pod["status", "hostIPs"]?.array ?? []).compactMap { $0["ip"]?.string }.joined(separator: ",")
        default: throw EnvError("unsupported fieldPath: \(path)")
        }
    }

    /// `resourceFieldRef`: a request or limit in units of `divisor` (rounded up), a missing
    /// limit being the node's allocatable.
    static func resourceValue(_ ref: JSON, container: JSON, nodeAllocatable: [String: Quantity]) throws(EnvError) -> String {
        let resource = ref["resource"]?.string ?? ""
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests" else { throw EnvError("unsupported resource: \(resource)") }
        let divisor = ref["divisor"].flatMap { try? Quantity(json: $0) }.flatMap { $0.isZero ? nil : $0 }
        var q = container["resources", parts[0], parts[1]].flatMap { try? Quantity(json: $0) }
        if q == nil && parts[0] == "limits" { q = nodeAllocatable[parts[1]] }
        if q == nil && parts[0] == "requests" { q = container["resources", "limits", parts[1]].flatMap { try? Quantity(json: $0) } }
        guard let q else { return "0" }
        if parts[1] == "cpu" {
            let d = divisor?.milliValue ?? 1000
            return String((q.milliValue + d - 1) / d)
        }
        let d = divisor?.value ?? 1
        return String((q.value + d - 1) / d)
    }

    /// Kubernetes' `$(VAR)` expansion: `$(NAME)` becomes the value `lookup` gives (left as it is
    /// when there is none), `$$` becomes `$`, anything else is kept.
    public static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        let chars = Array(input)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let n = chars[i + 1]
            if n == "$" { out.append("$"); i += 2; continue }
            if n == "(", let close = chars[(i + 2)...].firstIndex(of: ")") {
                let name = String(chars[(i + 2)..<close])
                if let v = lookup(name) { out += v } else { out += "$(" + name + ")" }
                i = close + 1
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }
}
