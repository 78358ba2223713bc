import SkiffModel

extension APIServer {
    /// `pods/eviction` (policy/v1 or v1beta1 `Eviction`): deletes a Pod unless that would break
    /// its PodDisruptionBudget, as kube-apiserver's eviction REST does.
    ///
    /// - A Pod that is Succeeded, Failed, Pending or already being deleted, and a Pod no budget
    ///   selects, is deleted at once.
    /// - More than one budget selecting the Pod is an error (500), as in Kubernetes.
    /// - With one budget: an unready Pod is deleted without using the budget when the policy is
    ///   `AlwaysAllow`, or (`IfHealthyBudget`, the default) while the budget is healthy. Otherwise
    ///   the budget's status must be current (`observedGeneration`) and allow a disruption; the
    ///   eviction takes one (`disruptionsAllowed` - 1, the Pod in `disruptedPods`) in the same
    ///   read-modify-write as the check, so two evictions never share one allowed disruption.
    ///   A refusal is `429 TooManyRequests` with a `DisruptionBudget` cause.
    /// - Before the delete, the Pod gets the `DisruptionTarget` condition
    ///   (`EvictionByEvictionAPI`). The eviction's `deleteOptions` apply to the delete, `dryRun`
    ///   included. The answer is a `Success` Status with code 201.
    func evict(_ c: inout RequestContext) async throws -> Response {
        guard c.type.subresources.contains("eviction") else { throw APIError.pathNotFound() }
        let body = try c.rawBody()
        guard body.object != nil else { throw APIError.badRequest("Object 'Eviction' is missing") }
        if let kind = body["kind"]?.string, !kind.isEmpty, kind != "Eviction" {
            throw APIError.badRequest("the kind of the object (\(kind)) does not match the kind on the URL (Eviction)")
        }
        let name = c.info.name
        if body["metadata", "name"]?.string != name {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        var options = try DeleteOptions(body: body["deleteOptions"], query: [:])
        if c.dryRun { options.dryRun = true }
        let namespace = c.namespace
        let pod = try await store.get(c.type, namespace: namespace, name: name).object

        if !Self.canIgnoreBudget(pod) {
            let budgets = try await budgetsSelecting(pod)
            if budgets.count > 1 {
                throw APIError.internalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
            }
            if let budget = budgets.first, !Self.unhealthyPodMayGo(pod, budget) {
                try await takeDisruption(budget, podName: name, dryRun: options.dryRun)
            }
        }
        try await markDisruptionTarget(c.type, namespace: namespace, name: name, dryRun: options.dryRun)
        _ = try await store.delete(c.type, namespace: namespace, name: name, options: options)
        return .json(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: .created)
    }

    /// Terminal, pending and terminating Pods are evicted without consulting a budget.
    static func canIgnoreBudget(_ pod: JSON) -> Bool {
        let phase = pod["status", "phase"]?.string ?? "Pending"
        return ["Succeeded", "Failed", "Pending"].contains(phase) || pod["metadata", "deletionTimestamp"] != nil
    }

    static func isReady(_ pod: JSON) -> Bool {
        (pod["status", "conditions"]?.array ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
    }

    /// Whether an unready Pod may go without using the budget (`unhealthyPodEvictionPolicy`).
    static func unhealthyPodMayGo(_ pod: JSON, _ budget: JSON) -> Bool {
        if isReady(pod) { return false }
        if budget["spec", "unhealthyPodEvictionPolicy"]?.string == "AlwaysAllow" { return true }
        let desired = budget["status", "desiredHealthy"]?.int ?? 0
        let healthy = budget["status", "currentHealthy"]?.int ?? 0
        return budget["status", "observedGeneration"]?.int ?? 0 >= budget["metadata", "generation"]?.int ?? 0
            && desired > 0 && healthy >= desired
    }

    /// The PodDisruptionBudgets of the Pod's namespace whose selector matches it (an empty
    /// selector matches nothing here, as in Kubernetes' eviction).
    func budgetsSelecting(_ pod: JSON) async throws -> [JSON] {
        guard let pdbType = registry.lookup(GroupResource(group: "policy", resource: "poddisruptionbudgets")) else { return [] }
        let namespace = pod["metadata", "namespace"]?.string ?? ""
        let labels = (pod["metadata", "labels"]?.members ?? [:]).compactMapValues { $0.string }
        await store.sync()
        let (items, _) = await store.cache.list(resourcePrefix: pdbType.keyPrefix, keyPrefix: pdbType.key(namespace: namespace, name: nil))
        return items.map(\.object).filter { budget in
            guard case .success(let selector) = LabelSelector.from(budget["spec", "selector"] ?? .null) else { return false }
            return !selector.isEverything && selector.matches(labels)
        }
    }

    /// Checks the budget allows one more disruption and records it, in one guaranteed update of
    /// the budget's status.
    func takeDisruption(_ budget: JSON, podName: String, dryRun: Bool) async throws {
        guard let pdbType = registry.lookup(GroupResource(group: "policy", resource: "poddisruptionbudgets")) else { return }
        let budgetName = budget["metadata", "name"]?.string ?? ""
        let pdbResource = GroupResource(group: "policy", resource: "poddisruptionbudget")
        _ = try await store.guaranteedUpdate(pdbType, namespace: budget["metadata", "namespace"]?.string, name: budgetName,
                                             dryRun: dryRun) { current throws(APIError) in
            let allowed = current["status", "disruptionsAllowed"]?.int ?? 0
            if current["status", "observedGeneration"]?.int ?? 0 < current["metadata", "generation"]?.int ?? 0 {
                throw Self.budgetViolation("The disruption budget \(budgetName) is still being processed by the server.", retryAfter: 10)
            }
            if allowed < 0 { throw .forbidden(pdbResource, budgetName, "pdb disruptions allowed is negative") }
            let disrupted = current["status", "disruptedPods"]?.members ?? [:]
            if disrupted.count > 2000 {
                throw .forbidden(pdbResource, budgetName, "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
            }
            if allowed == 0 {
                let desired = current["status", "desiredHealthy"]?.int ?? 0
                let healthy = current["status", "currentHealthy"]?.int ?? 0
                throw Self.budgetViolation("The disruption budget \(budgetName) needs \(desired) healthy pods and has \(healthy) currently",
                                           retryAfter: nil)
            }
            var updated = current
            updated["status", "disruptionsAllowed"] = .int(allowed - 1)
            if allowed - 1 == 0 { Self.setDisruptionAllowedFalse(&updated) }
            var pods = disrupted
            pods[podName] = .string(Timestamp.format(Timestamp.now()))
            updated["status", "disruptedPods"] = .object(pods)
            return updated
        } target: { .status }
    }

    /// `DisruptionAllowed=False` (`InsufficientPods`) once the last allowed disruption is taken.
    static func setDisruptionAllowedFalse(_ budget: inout JSON) {
        var conditions = budget["status", "conditions"]?.array ?? []
        let previous = conditions.first { $0["type"] == "DisruptionAllowed" }
        conditions.removeAll { $0["type"] == "DisruptionAllowed" }
        let changed = previous?["status"] != "False"
        conditions.append(["type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                           "observedGeneration": budget["metadata", "generation"] ?? 0,
                           "lastTransitionTime": changed ? .string(Timestamp.format(Timestamp.now()))
                               : previous?["lastTransitionTime"] ?? .string(Timestamp.format(Timestamp.now()))])
        budget["status", "conditions"] = .array(conditions)
    }

    /// The Pod's `DisruptionTarget` condition, written before an eviction deletes it.
    func markDisruptionTarget(_ type: ResourceType, namespace: String?, name: String, dryRun: Bool) async throws {
        if dryRun { return }
        _ = try await store.guaranteedUpdate(type, namespace: namespace, name: name, dryRun: false) { pod throws(APIError) in
            var conditions = pod["status", "conditions"]?.array ?? []
            if conditions.contains(where: { $0["type"] == "DisruptionTarget" && $0["status"] == "True" }) { return pod }
            conditions.removeAll { $0["type"] == "DisruptionTarget" }
            conditions.append(["type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
                               "message": "Eviction API: evicting", "lastProbeTime": .null,
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            var updated = pod
            updated["status", "conditions"] = .array(conditions)
            return updated
        } target: { .status }
    }

    /// `429 TooManyRequests`: "Cannot evict pod as it would violate the pod's disruption budget."
    static func budgetViolation(_ cause: String, retryAfter: Int?) -> APIError {
        APIError(code: 429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget.",
                 details: .init(causes: [.init(reason: "DisruptionBudget", message: cause)], retryAfterSeconds: retryAfter))
    }
}
