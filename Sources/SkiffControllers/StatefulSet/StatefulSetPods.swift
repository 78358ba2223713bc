import SkiffModel

/// The Pods and PersistentVolumeClaims of a StatefulSet (stateful_set_utils.go): ordinal names
/// `<set>-<i>`, stable network identity, one claim per volumeClaimTemplate and ordinal.
enum StatefulSetPods {
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"

    /// `spec.ordinals.start`, 0 when absent.
    static func start(_ set: JSON) -> Int { Int(set["spec", "ordinals", "start"]?.int ?? 0) }

    /// The ordinal of `pod` if its name is `<set>-<i>`, else nil (getParentNameAndOrdinal).
    static func ordinal(of pod: JSON, in set: JSON) -> Int? {
        let prefix = set.objectName + "-"
        let name = pod.objectName
        guard name.hasPrefix(prefix), let i = Int(name.dropFirst(prefix.count)), i >= 0,
              String(i) == name.dropFirst(prefix.count) else { return nil }
        return i
    }

    static func podName(_ set: JSON, _ ordinal: Int) -> String { "\(set.objectName)-\(ordinal)" }

    static func claimName(_ claim: String, _ set: JSON, _ ordinal: Int) -> String { "\(claim)-\(set.objectName)-\(ordinal)" }

    static func revision(of pod: JSON) -> String? { pod.objectLabels[ControllerHistory.podRevisionLabel] }

    /// The Pod of ordinal `ordinal` from `template` at revision `revision` (newStatefulSetPod).
    static func pod(_ set: JSON, template: JSON, ordinal: Int, revision: String, apiVersion: String) -> JSON {
        let name = podName(set, ordinal)
        var meta: JSON = ["name": .string(name), "namespace": .string(set.objectNamespace),
                          "ownerReferences": [JSON.controllerReference(to: set, apiVersion: apiVersion, kind: "StatefulSet")]]
        for field in ["annotations", "finalizers"] {
            if let value = template["metadata", field], !value.isNull { meta[field] = value }
        }
        var labels = template["metadata", "labels"]?.stringMap ?? [:]
        labels[podNameLabel] = name
        labels[podIndexLabel] = String(ordinal)
        labels[ControllerHistory.podRevisionLabel] = revision
        meta["labels"] = JSON(labels)
        var spec = template["spec"] ?? [:]
        spec["hostname"] = .string(name)
        if let service = set["spec", "serviceName"]?.string, !service.isEmpty { spec["subdomain"] = .string(service) }
        spec["volumes"] = volumes(set, spec["volumes"], ordinal: ordinal)
        return ["apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec]
    }

    /// The claim volumes first, then the template's volumes not named like a claim template (updateStorage).
    static func volumes(_ set: JSON, _ existing: JSON?, ordinal: Int) -> JSON? {
        let templates = set["spec", "volumeClaimTemplates"]?.array ?? []
        if templates.isEmpty { return existing }
        let names = Set(templates.compactMap { $0["metadata", "name"]?.string })
        var out: [JSON] = templates.compactMap { t in
            guard let claim = t["metadata", "name"]?.string else { return nil }
            return ["name": .string(claim), "persistentVolumeClaim": ["claimName": .string(claimName(claim, set, ordinal))]]
        }
        for v in existing?.array ?? [] where !names.contains(v["name"]?.string ?? "") { out.append(v) }
        return .array(out)
    }

    /// The claims the Pod of `ordinal` needs (getPersistentVolumeClaims): each template named
    /// `<claim>-<set>-<ordinal>`, labelled with the template's labels and the set's matchLabels.
    static func claims(_ set: JSON, ordinal: Int) -> [JSON] {
        let matchLabels = set["spec", "selector", "matchLabels"]?.stringMap ?? [:]
        return (set["spec", "volumeClaimTemplates"]?.array ?? []).compactMap { t in
            guard let claim = t["metadata", "name"]?.string else { return nil }
            var meta: JSON = ["name": .string(claimName(claim, set, ordinal)), "namespace": .string(set.objectNamespace)]
            var labels = t["metadata", "labels"]?.stringMap ?? [:]
            for (k, v) in matchLabels { labels[k] = v }
            if !labels.isEmpty { meta["labels"] = JSON(labels) }
            if let a = t["metadata", "annotations"], !a.isNull { meta["annotations"] = a }
            return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": t["spec"] ?? [:]]
        }
    }

    /// Whether the Pod's identity labels are the ones its ordinal gives (identityMatches, labels part).
    static func identityLabelsMatch(_ pod: JSON, _ set: JSON, ordinal: Int) -> Bool {
        let labels = pod.objectLabels
        return labels[podNameLabel] == pod.objectName && labels[podIndexLabel] == String(ordinal)
    }

    /// Phase `Running` and the `Ready` condition true.
    static func isRunningAndReady(_ pod: JSON) -> Bool {
        pod["status", "phase"]?.string == "Running" && PodState.isReady(pod)
    }

    /// Running, ready for `minReadySeconds` at `now`, and not being deleted (isHealthy/isRunningAndAvailable).
    static func isHealthy(_ pod: JSON, minReadySeconds: Int, now: Double) -> Bool {
        pod["status", "phase"]?.string == "Running" && PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now)
            && !pod.isBeingDeleted
    }

    /// A Pod the API server has accepted (it has a phase).
    static func isCreated(_ pod: JSON) -> Bool { !(pod["status", "phase"]?.string ?? "").isEmpty }

    static func isTerminal(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string
        return phase == "Failed" || phase == "Succeeded"
    }
}
