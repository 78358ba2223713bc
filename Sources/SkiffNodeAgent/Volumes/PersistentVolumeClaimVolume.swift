import SkiffModel

/// persistentVolumeClaim: the host directory of the PersistentVolume a Bound claim names
/// (`hostPath.path`, checked by its `type`, or `local.path`). Provisioning is not done here.
extension VolumeManager {
    func persistentVolumeClaimPath(_ spec: JSON, namespace: String) async throws(VolumeError) -> String {
        let claimName = spec["claimName"]?.string ?? ""
        let claim: JSON?
        do { claim = try await source.persistentVolumeClaim(namespace: namespace, name: claimName) } catch {
            throw VolumeError(.source, "\(error)", cause: error)
        }
        guard let claim else { throw VolumeError(.notFound, "persistentvolumeclaim \"\(claimName)\" not found") }
        let phase = claim["status", "phase"]?.string ?? ""
        let volumeName = claim["spec", "volumeName"]?.string ?? ""
        guard phase == "Bound", !volumeName.isEmpty else {
            throw VolumeError(.unbound, "unbound PVC: PVC \(namespace)/\(claimName) has non-bound phase (\"\(phase)\") or empty pvc.Spec.VolumeName (\"\(volumeName)\")")
        }
        let pv: JSON?
        do { pv = try await source.persistentVolume(name: volumeName) } catch let e as VolumeError { throw e } catch {
            throw VolumeError(.source, "\(error)", cause: error)
        }
        guard let pv else { throw VolumeError(.notFound, "persistentvolume \"\(volumeName)\" not found") }
        if let claimUID = claim["metadata", "uid"]?.string, let refUID = pv["spec", "claimRef", "uid"]?.string, claimUID != refUID {
            throw VolumeError(.unbound, "failed to fetch PV \(volumeName) from API server. Error: claimRef.UID mismatch (expected \(claimUID), got \(refUID))")
        }
        if let path = pv["spec", "hostPath", "path"]?.string {
            try HostPathVolume.check(path, type: pv["spec", "hostPath", "type"]?.string ?? "")
            return path
        }
        if let path = pv["spec", "local", "path"]?.string {
            guard VolumeFS.kind(path, follow: true) != .missing else {
                throw VolumeError(.notFound, "path \"\(path)\" does not exist")
            }
            return path
        }
        throw VolumeError(.unsupported, "persistentvolume \"\(volumeName)\" has neither hostPath nor local: Skiff mounts only those")
    }
}
