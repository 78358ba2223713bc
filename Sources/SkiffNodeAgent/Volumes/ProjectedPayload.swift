import Glibc
import SkiffModel

/// The files of a projected volume: its `sources` (configMap, secret, downwardAPI,
/// serviceAccountToken) merged in order, as the kubelet's `collectData`. Errors of several
/// sources are reported together.
extension VolumeManager {
    func projectedPayload(_ spec: JSON, pod: JSON, fsUser: uid_t?, fsGroup: gid_t?) async throws(VolumeError) -> [String: FileProjection] {
        let namespace = pod["metadata", "namespace"]?.string ?? "default"
        let defaultMode = try KeyToPathPayload.mode(spec["defaultMode"]) ?? KeyToPathPayload.defaultMode
        var payload: [String: FileProjection] = [:]
        var errors: [String] = []
        for source in spec["sources"]?.array ?? [] {
            do throws(VolumeError) {
                let part: [String: FileProjection]
                if let cm = source["configMap"] {
                    part = try await configMapPayload(cm, namespace: namespace, defaultMode: defaultMode)
                } else if let s = source["secret"] {
                    part = try await secretPayload(s, namespace: namespace, defaultMode: defaultMode)
                } else if let d = source["downwardAPI"] {
                    part = try DownwardAPIPayload.make(items: d["items"]?.array ?? [], pod: pod, defaultMode: defaultMode, node: node)
                } else if let t = source["serviceAccountToken"] {
                    part = try await tokenPayload(t, pod: pod, namespace: namespace, defaultMode: defaultMode, fsUser: fsUser, fsGroup: fsGroup)
                } else if source["clusterTrustBundle"] != nil {
                    throw VolumeError(.unsupported, "clusterTrustBundle projections are not supported")
                } else {
                    continue
                }
                payload.merge(part) { _, new in new }
            } catch {
                errors.append(error.message)
            }
        }
        if !errors.isEmpty { throw VolumeError(.source, DownwardAPIPayload.aggregate(errors)) }
        return payload
    }

    func tokenPayload(_ t: JSON, pod: JSON, namespace: String, defaultMode: mode_t, fsUser: uid_t?, fsGroup: gid_t?) async throws(VolumeError) -> [String: FileProjection] {
        let audiences = (t["audience"]?.string).map { $0.isEmpty ? [] : [$0] } ?? []
        let key = ServiceAccountTokens.Key(
            podUID: pod["metadata", "uid"]?.string ?? "", namespace: namespace,
            serviceAccount: pod["spec", "serviceAccountName"]?.string ?? pod["spec", "serviceAccount"]?.string ?? "default",
            audiences: audiences, expirationSeconds: t["expirationSeconds"]?.int ?? 3600)
        let token: String
        do { token = try await tokens.token(source: source, key: key, pod: pod) } catch let e as VolumeError { throw e } catch {
            throw VolumeError(.source, "\(error)", cause: error)
        }
        // With an fsUser or fsGroup the token is 0600 (the group read bit is added with the group).
        let mode: mode_t = fsUser != nil || fsGroup != nil ? 0o600 : defaultMode
        return [t["path"]?.string ?? "": FileProjection(data: Array(token.utf8), mode: mode, uid: fsUser)]
    }
}
