import SkiffModel

/// Kubernetes' `ServiceAccount` admission plugin for Pods being created
/// (plugin/pkg/admission/serviceaccount), when `Configuration.serviceAccountAdmission` is on.
///
/// - `spec.serviceAccountName` defaults to `default` (or the deprecated `serviceAccount`).
/// - The ServiceAccount must exist, else 403 Forbidden `error looking up service account
///   <ns>/<name>: serviceaccount "<name>" not found`. The `default` account is looked for up to
///   10 times 100-200 ms apart, since its controller may not have made it yet in a new namespace.
/// - `imagePullSecrets` come from the ServiceAccount when the Pod names none.
/// - Unless `automountServiceAccountToken` is false (Pod first, then ServiceAccount), every
///   container and init container that has nothing mounted at
///   `/var/run/secrets/kubernetes.io/serviceaccount` gets the `kube-api-access-<5>` projected
///   volume there, read-only: a token (3607 s), `ca.crt` from `kube-root-ca.crt`, and the namespace.
/// - Mirror Pods (`kubernetes.io/config.mirror`) are left alone.
extension APIServer {
    static let serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    func admitServiceAccount(_ pod: inout JSON) async throws {
        guard configuration.serviceAccountAdmission,
              pod["metadata", "annotations", "kubernetes.io/config.mirror"] == nil else { return }
        var spec = pod["spec"] ?? [:]
        var name = spec["serviceAccountName"]?.string ?? ""
        if name.isEmpty { name = spec["serviceAccount"]?.string ?? "" }
        if name.isEmpty { name = "default" }
        spec["serviceAccountName"] = .string(name)
        let namespace = pod["metadata", "namespace"]?.string ?? ""
        let sa = try await lookUpServiceAccount(namespace: namespace, name: name, podName: pod["metadata", "name"]?.string ?? "")
        if (spec["imagePullSecrets"]?.array ?? []).isEmpty, let secrets = sa["imagePullSecrets"]?.array, !secrets.isEmpty {
            spec["imagePullSecrets"] = .array(secrets.map { ["name": $0["name"] ?? ""] })
        }
        if spec["automountServiceAccountToken"]?.bool ?? sa["automountServiceAccountToken"]?.bool ?? true {
            Self.mountServiceAccountToken(&spec)
        }
        pod["spec"] = spec
    }

    func lookUpServiceAccount(namespace: String, name: String, podName: String) async throws -> JSON {
        guard let type = registry.lookup(GroupResource(group: "", resource: "serviceaccounts")) else { throw APIError.pathNotFound() }
        let attempts = name == "default" ? 10 : 1
        for attempt in 0..<attempts {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(Int.random(in: 100..<200))) }
            if let sa = try? await store.get(type, namespace: namespace, name: name).object { return sa }
        }
        throw APIError.forbidden(GroupResource(group: "", resource: "pods"), podName,
                                 "error looking up service account \(namespace)/\(name): serviceaccount \"\(name)\" not found")
    }

    /// Adds the `kube-api-access-*` volume and its mounts (ServiceAccount admission's part).
    static func mountServiceAccountToken(_ spec: inout JSON) {
        var volumes = spec["volumes"]?.array ?? []
        let existing = volumes.first { ($0["name"]?.string ?? "").hasPrefix("kube-api-access-") }?["name"]?.string
        let volumeName = existing ?? "kube-api-access-" + ObjectMeta.randomSuffix()
        let mount: JSON = ["name": .string(volumeName), "readOnly": true, "mountPath": .string(serviceAccountMountPath)]
        var needsVolume = false
        for list in ["initContainers", "containers"] {
            guard var containers = spec[list]?.array else { continue }
            for i in containers.indices {
                var mounts = containers[i]["volumeMounts"]?.array ?? []
                if mounts.contains(where: { $0["mountPath"]?.string == serviceAccountMountPath }) { continue }
                mounts.append(mount)
                containers[i]["volumeMounts"] = .array(mounts)
                needsVolume = true
            }
            spec[list] = .array(containers)
        }
        guard existing == nil, needsVolume else { return }
        volumes.append(["name": .string(volumeName), "projected": tokenVolumeSource])
        spec["volumes"] = .array(volumes)
    }

    /// The projected volume source Kubernetes' admission adds (`TokenVolumeSource`).
    static let tokenVolumeSource: JSON = [
        "defaultMode": 420,
        "sources": [
            ["serviceAccountToken": ["path": "token", "expirationSeconds": .int(ServiceAccountTokens.warnOnlyExpirationSeconds)]],
            ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
            ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
        ],
    ]
}
