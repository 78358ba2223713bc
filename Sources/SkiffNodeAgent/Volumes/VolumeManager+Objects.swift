import Glibc
import SkiffModel

/// configMap and secret payloads, for their own volumes and for projections.
extension VolumeManager {
    func configMapPayload(_ spec: JSON, namespace: String, defaultMode: mode_t) async throws(VolumeError) -> [String: FileProjection] {
        let name = spec["name"]?.string ?? ""
        let optional = spec["optional"]?.bool ?? false
        let object: JSON?
        do { object = try await source.configMap(namespace: namespace, name: name) } catch {
            throw VolumeError(.source, "\(error)", cause: error)
        }
        guard let object else {
            if optional { return [:] }
            throw VolumeError(.notFound, "configmap \"\(name)\" not found")
        }
        return try KeyToPathPayload.make(
            data: try KeyToPathPayload.configMapData(object), items: spec["items"]?.array,
            defaultMode: defaultMode, optional: optional) { "configmap references non-existent config key: \($0)" }
    }

    func secretPayload(_ spec: JSON, namespace: String, defaultMode: mode_t) async throws(VolumeError) -> [String: FileProjection] {
        // A secret volume names its Secret `secretName`; a projection names it `name`.
        let name = spec["secretName"]?.string ?? spec["name"]?.string ?? ""
        let optional = spec["optional"]?.bool ?? false
        let object: JSON?
        do { object = try await source.secret(namespace: namespace, name: name) } catch {
            throw VolumeError(.source, "\(error)", cause: error)
        }
        guard let object else {
            if optional { return [:] }
            throw VolumeError(.notFound, "secret \"\(name)\" not found")
        }
        return try KeyToPathPayload.make(
            data: try KeyToPathPayload.secretData(object), items: spec["items"]?.array,
            defaultMode: defaultMode, optional: optional) { "references non-existent secret key: \($0)" }
    }
}
