import SkiffClient
import SkiffModel

extension HorizontalPodAutoscalerController {
    /// One pass over the HPA at `key`; see the type's documentation.
    public func reconcile(_ key: String) async throws {
        guard let hpa = hpas.get(key: key) else {
            history.forget(key)
            return
        }
        await queue.addAfter(key, configuration.syncPeriod)
        let now = wallClock()
        let spec = hpa["spec"] ?? [:]
        var status = hpa["status"] ?? [:]
        status["observedGeneration"] = hpa["metadata", "generation"]
        var conditions = HPAConditions(status["conditions"], now: now)
        func write() async throws {
            status["conditions"] = conditions.json
            guard status != hpa["status"] else { return }
            var updated = hpa
            updated["status"] = status
            _ = try await client.updateStatus(Self.resource, updated)
        }

        let ref = spec["scaleTargetRef"]
        let targetName = ref?["name"]?.string ?? ""
        let scale: JSON
        let target: Resource
        do {
            guard let resource = Self.scaleResource(ref) else {
                let group = (ref?["apiVersion"]?.string ?? "").split(separator: "/").dropLast().first.map(String.init) ?? ""
                throw ClaimError(message: "no matches for kind \"\(ref?["kind"]?.string ?? "")\" in group \"\(group)\"")
            }
            target = resource
            scale = try await client.get(resource, namespace: hpa.objectNamespace, name: targetName, subresource: "scale")
        } catch {
            let message = (error as? APIError)?.message ?? "\(error)"
            events.event(hpa, type: .warning, reason: "FailedGetScale", message: message)
            conditions.set("AbleToScale", false, "FailedGetScale", "the HPA controller was unable to get the target's current scale: \(message)")
            try await write()
            return
        }
        let current = Int(scale["spec", "replicas"]?.int ?? 0)
        let minReplicas = Int(spec["minReplicas"]?.int ?? 1), maxReplicas = Int(spec["maxReplicas"]?.int ?? 1)
        status["currentReplicas"] = .int(Int64(current))

        var desired: Int
        var reason = ""
        if current == 0 && minReplicas != 0 {
            desired = 0
            conditions.set("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
        } else {
            let computed = await computeReplicas(hpa, scale: scale, current: current)
            guard let replicas = computed.replicas else {
                let first = computed.errors.first ?? "no metrics"
                events.event(hpa, type: .warning, reason: computed.failureReason, message: first)
                events.event(hpa, type: .warning, reason: "FailedComputeMetricsReplicas",
                             message: "invalid metrics (\(computed.errors.count) invalid out of \(computed.metricCount)), first error is: "
                                 + "failed to get \(computed.firstMetricResource) resource metric value: \(first)")
                conditions.set("ScalingActive", false, computed.failureReason, "the HPA was unable to compute the replica count: \(first)")
                status["currentMetrics"] = computed.currentMetrics.isEmpty ? nil : .array(computed.currentMetrics)
                try await write()
                return
            }
            desired = replicas
            reason = replicas < current ? "All metrics below target" : "\(computed.metricName) above target"
            status["currentMetrics"] = .array(computed.currentMetrics)
            conditions.set("ScalingActive", true, "ValidMetricFound",
                           "the HPA was able to successfully calculate a replica count from \(computed.metricName)")
        }

        let behavior = ScaleBehavior(spec)
        let outcome = behavior.normalize(desired: desired, current: current, min: minReplicas, max: maxReplicas, now: now,
                                         recommendations: history.recommendations(key), events: history.events(key))
        conditions.set("ScalingLimited", outcome.limited, outcome.limitReason, outcome.limitMessage)
        var change: Int?
        if outcome.replicas != current {
            do {
                _ = try await client.patch(target, namespace: hpa.objectNamespace, name: targetName, type: .merge,
                                           ["spec": ["replicas": .int(Int64(outcome.replicas))]], subresource: "scale")
            } catch {
                let message = (error as? APIError)?.message ?? "\(error)"
                events.event(hpa, type: .warning, reason: "FailedRescale", message: "New size: \(outcome.replicas); reason: \(reason); error: \(message)")
                conditions.set("AbleToScale", false, "FailedUpdateScale", "the HPA controller was unable to update the target scale: \(message)")
                try await write()
                return
            }
            change = outcome.replicas - current
            events.event(hpa, reason: "SuccessfulRescale", message: "New size: \(outcome.replicas); reason: \(reason)")
            conditions.set("AbleToScale", true, "SucceededRescale", "the HPA controller was able to update the target scale to \(outcome.replicas)")
            status["lastScaleTime"] = .string(Timestamp.format(now))
        } else {
            conditions.set("AbleToScale", true, "ReadyForNewScale", "recommended size matches current size")
        }
        history.record(key, recommendation: desired, change: change, now: now, horizon: behavior.horizon)
        status["desiredReplicas"] = .int(Int64(outcome.replicas))
        try await write()
    }

    struct Computed {
        var replicas: Int?
        var metricName = ""
        var currentMetrics: [JSON] = []
        var errors: [String] = []
        var failureReason = "FailedGetResourceMetric"
        var metricCount = 0
        var firstMetricResource = ""
    }

    /// The largest replica count the HPA's metrics ask for, the status of each, and the errors.
    func computeReplicas(_ hpa: JSON, scale: JSON, current: Int) async -> Computed {
        var out = Computed()
        let specMetrics = hpa["spec", "metrics"]?.array ?? []
        out.metricCount = specMetrics.count
        let selectorText = scale["status", "selector"]?.string ?? ""
        let selector = (try? LabelSelector.parse(selectorText)) ?? .nothing
        let candidates = pods.list(namespace: hpa.objectNamespace).filter { pod in
            selector.matches(pod.objectLabels) && !pod.isBeingDeleted && !["Succeeded", "Failed"].contains(pod["status", "phase"]?.string ?? "")
        }
        for metric in specMetrics {
            guard metric["type"]?.string == "Resource", let resource = metric["resource", "name"]?.string else {
                out.errors.append("unsupported metric type \"\(metric["type"]?.string ?? "")\": only Resource metrics are served here")
                out.failureReason = "FailedGetExternalMetric"
                continue
            }
            if out.firstMetricResource.isEmpty { out.firstMetricResource = resource }
            let targetJSON = metric["resource", "target"] ?? [:]
            let target: ReplicaCalculator.Target
            let name: String
            if let percent = targetJSON["averageUtilization"]?.int {
                target = .utilization(percent)
                name = "\(resource) resource utilization (percentage of request)"
            } else if let text = targetJSON["averageValue"]?.string, let q = try? Quantity(text) {
                target = .averageValue(resource == "cpu" ? q.milliValue : q.value)
                name = "\(resource) resource"
            } else {
                out.errors.append("invalid target for \(resource): \(targetJSON.serializedString(sortedKeys: true))")
                continue
            }
            do {
                let usage = try await metrics.podUsage(namespace: hpa.objectNamespace, selector: selectorText, resource: resource)
                let samples = candidates.map { pod in
                    ReplicaCalculator.PodSample(name: pod.objectName, usage: usage[pod.objectName],
                                                request: Self.request(of: pod, resource: resource), ready: PodState.isReady(pod))
                }
                let recommendation = try ReplicaCalculator.recommend(current: current, pods: samples, target: target, resource: resource)
                let quantity = resource == "cpu" ? Quantity(milli: recommendation.averageValue) : Quantity(recommendation.averageValue, format: .binarySI)
                var currentValue: JSON = ["averageValue": .string(quantity.description)]
                if let u = recommendation.utilization { currentValue["averageUtilization"] = .int(u) }
                out.currentMetrics.append(["type": "Resource", "resource": ["name": .string(resource), "current": currentValue]])
                if recommendation.replicas > (out.replicas ?? Int.min) {
                    out.replicas = recommendation.replicas
                    out.metricName = name
                }
            } catch let failure as ReplicaCalculator.Failure {
                out.errors.append("failed to get \(resource) utilization: \(failure.message)")
            } catch {
                out.errors.append("failed to get \(resource) utilization: unable to get metrics for resource \(resource): "
                                  + ((error as? APIError)?.message ?? "\(error)"))
            }
        }
        if !out.errors.isEmpty && out.errors.count == specMetrics.count { out.replicas = nil }
        // Some metrics unreadable: never scale down on the others alone.
        if !out.errors.isEmpty, let replicas = out.replicas, replicas < current { out.replicas = current }
        return out
    }

    /// The sum of the containers' requests of `resource` (milli-units for cpu), or nil when one has none.
    static func request(of pod: JSON, resource: String) -> Int64? {
        var total: Int64 = 0
        for container in pod["spec", "containers"]?.array ?? [] {
            guard let text = container["resources", "requests", resource]?.string, let q = try? Quantity(text) else { return nil }
            total += resource == "cpu" ? q.milliValue : q.value
        }
        return total
    }
}

/// An HPA's `status.conditions`, kept in Kubernetes' order; a condition's
/// `lastTransitionTime` moves only when its status changes.
struct HPAConditions {
    var items: [JSON]
    let now: Double

    init(_ json: JSON?, now: Double) {
        items = json?.array ?? []
        self.now = now
    }

    mutating func set(_ type: String, _ status: Bool, _ reason: String, _ message: String) {
        let value: JSON = status ? "True" : "False"
        let previous = items.first { $0["type"]?.string == type }
        let since = previous?["status"] == value ? previous?["lastTransitionTime"] : nil
        let condition: JSON = ["type": .string(type), "status": value, "reason": .string(reason), "message": .string(message),
                               "lastTransitionTime": since ?? .string(Timestamp.format(now))]
        items.removeAll { $0["type"]?.string == type }
        items.append(condition)
        let order = ["AbleToScale", "ScalingActive", "ScalingLimited"]
        items.sort { (order.firstIndex(of: $0["type"]?.string ?? "") ?? 9) < (order.firstIndex(of: $1["type"]?.string ?? "") ?? 9) }
    }

    var json: JSON? { items.isEmpty ? nil : .array(items) }
}
