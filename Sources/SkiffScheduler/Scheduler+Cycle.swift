import Logging
import SkiffClient
import SkiffModel

/// One scheduling cycle, and the API writes that follow it.
extension Scheduler {
    /// A job to run after the cycle, concurrently with later cycles.
    typealias Job = @Sendable () async -> Void

    /// Places one Pod. Returns the binding (or failure reporting) to run next.
    func scheduleOne(_ queued: QueuedPod, startIndex: inout Int, random: inout SplitMix64) async -> Job? {
        let pod = queued.pod
        // Level check: the Pod may have been bound, deleted or replaced since it was queued.
        guard let current = pods.lister.get(key: pod.key), current["metadata", "uid"]?.string == pod.uid,
              (current["spec", "nodeName"]?.string ?? "").isEmpty, current["metadata", "deletionTimestamp"] == nil else {
            await queue.done(pod.key)
            return nil
        }
        if pod.isSchedulingGated {
            await queue.requeueUnschedulable(queued, plugins: [Framework.schedulingGates])
            return { await self.reportGated(pod, current: current) }
        }
        let state = CycleState()
        let snapshot = cache.snapshot()
        let result = framework.schedule(state, pod, snapshot, startIndex: &startIndex,
                                        percentageOfNodesToScore: configuration.percentageOfNodesToScore, using: &random)
        switch result {
        case .success(let placed):
            let assumed = pod.assigned(to: placed.node)
            cache.assume(assumed)
            let reserved = framework.runReserve(assumed, node: placed.node)
            if !reserved.isSuccess {
                cache.forget(pod.key)
                stats.withLock { $0.errors += 1 }
                await queue.requeueAfterError(queued)
                await events.record(.init(pod: pod), .warning, reason: "FailedScheduling", action: "Scheduling", message: reserved.message)
                return nil
            }
            await queue.done(pod.key)
            return { await self.bind(queued, assumed, node: placed.node) }
        case .failure(var fitError):
            var preemption: PostFilterResult?
            if fitError.numAllNodes > 0, let post = framework.runPostFilter(state, pod, snapshot, fitError.diagnosis.nodeStatuses) {
                if post.nominatedNode != nil { preemption = post } else { fitError.diagnosis.postFilterMessage = post.message }
            }
            let message = fitError.message
            stats.withLock { $0.unschedulable += 1 }
            logger.debug("unable to schedule pod", metadata: ["k8s.namespace": "\(pod.namespace)", "k8s.name": "\(pod.name)",
                                                              "message": "\(message)"])
            await queue.requeueUnschedulable(queued, plugins: fitError.diagnosis.unschedulablePlugins)
            await events.record(.init(pod: pod), .warning, reason: "FailedScheduling", action: "Scheduling", message: message)
            let nominated = preemption
            return { await self.reportUnschedulable(pod, current: current, message: message, preemption: nominated) }
        }
    }

    /// Binds an assumed Pod; on failure forgets it and retries it unless it is gone or bound.
    func bind(_ queued: QueuedPod, _ pod: PodInfo, node: String) async {
        let status = await framework.runBind(pod, node: node)
        if status.isSuccess {
            stats.withLock { $0.scheduled += 1 }
            await events.record(.init(pod: pod), .normal, reason: "Scheduled", action: "Binding",
                                message: "Successfully assigned \(pod.namespace)/\(pod.name) to \(node)")
            return
        }
        cache.forget(pod.key)
        framework.runUnreserve(pod, node: node)
        stats.withLock { $0.errors += 1 }
        logger.warning("binding failed", metadata: ["k8s.namespace": "\(pod.namespace)", "k8s.name": "\(pod.name)", "node": "\(node)",
                                                    "error": "\(status.message)"])
        guard let current = pods.lister.get(key: pod.key), current["metadata", "uid"]?.string == pod.uid,
              (current["spec", "nodeName"]?.string ?? "").isEmpty, current["metadata", "deletionTimestamp"] == nil else { return }
        await events.record(.init(pod: pod), .warning, reason: "FailedScheduling", action: "Scheduling",
                            message: "Binding rejected: \(status.message)")
        await queue.requeueAfterError(queued)
    }

    /// Sets `PodScheduled=False/Unschedulable` (and `nominatedNodeName` when preempting) on the
    /// Pod, and evicts the preemption victims.
    func reportUnschedulable(_ pod: PodInfo, current: JSON, message: String, preemption: PostFilterResult?) async {
        if let preemption, let node = preemption.nominatedNode {
            stats.withLock { $0.preemptions += 1 }
            for victim in preemption.victims { await preempt(victim, by: pod, node: node) }
        }
        let existing = (current["status", "conditions"]?.array ?? []).first { $0["type"]?.string == "PodScheduled" }
        let nominated = preemption?.nominatedNode
        let conditionChanged = existing?["status"]?.string != "False" || existing?["reason"]?.string != "Unschedulable"
            || existing?["message"]?.string != message
        let nominationChanged = nominated != nil && current["status", "nominatedNodeName"]?.string != nominated
        guard conditionChanged || nominationChanged else { return }
        var condition: JSON = ["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message)]
        if existing?["status"]?.string != "False" { condition["lastTransitionTime"] = .string(Timestamp.format(Timestamp.now())) }
        var patch: JSON = ["status": ["conditions": [condition]]]
        // The version read at the cycle is a precondition: a Pod bound meanwhile keeps PodScheduled=True.
        if let rv = current["metadata", "resourceVersion"] { patch["metadata"] = ["resourceVersion": rv] }
        if let nominated { patch["status", "nominatedNodeName"] = .string(nominated) }
        do {
            _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, type: .strategicMerge, patch, subresource: "status")
        } catch let e as APIError where e.isNotFound || e.isConflict {
            return
        } catch {
            logger.debug("pod status update failed", metadata: ["k8s.namespace": "\(pod.namespace)", "k8s.name": "\(pod.name)",
                                                                "error": "\(error)"])
        }
    }

    /// Sets `PodScheduled=False/SchedulingGated` on a gated Pod (kubectl shows SchedulingGated).
    func reportGated(_ pod: PodInfo, current: JSON) async {
        let existing = (current["status", "conditions"]?.array ?? []).first { $0["type"]?.string == "PodScheduled" }
        guard existing?["reason"]?.string != "SchedulingGated" else { return }
        let condition: JSON = ["type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
                               "message": "Scheduling is blocked due to non-empty scheduling gates",
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))]
        var patch: JSON = ["status": ["conditions": [condition]]]
        if let rv = current["metadata", "resourceVersion"] { patch["metadata"] = ["resourceVersion": rv] }
        _ = try? await client.patch(.pods, namespace: pod.namespace, name: pod.name, type: .strategicMerge, patch, subresource: "status")
    }

    /// Marks a victim with the `DisruptionTarget` condition, deletes it, and records `Preempted`.
    func preempt(_ victim: PodInfo, by preemptor: PodInfo, node: String) async {
        let condition: JSON = ["type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                               "message": .string("\(framework.schedulerName): preempting to accommodate a higher priority pod"),
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))]
        do {
            _ = try? await client.patch(.pods, namespace: victim.namespace, name: victim.name, type: .strategicMerge,
                                        ["status": ["conditions": [condition]]], subresource: "status")
            try await client.delete(.pods, namespace: victim.namespace, name: victim.name,
                                    options: .init(preconditionUID: victim.uid))
            logger.info("preempted pod", metadata: ["k8s.namespace": "\(victim.namespace)", "k8s.name": "\(victim.name)",
                                                    "preemptor": "\(preemptor.key)", "node": "\(node)"])
            await events.record(.init(pod: victim), .normal, reason: "Preempted", action: "Preempting",
                                message: "Preempted by pod \(preemptor.uid) on node \(node)")
        } catch {
            logger.warning("preemption failed", metadata: ["k8s.namespace": "\(victim.namespace)", "k8s.name": "\(victim.name)",
                                                           "error": "\(error)"])
        }
    }
}
