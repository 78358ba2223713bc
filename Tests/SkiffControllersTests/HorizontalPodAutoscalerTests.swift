import SkiffClient
import SkiffModel
import Synchronization
import Testing
@testable import SkiffControllers

/// Usage the test sets, standing in for the resource metrics API.
final class FakePodMetrics: PodMetricsSource {
    let usage = Mutex<[String: Int64]>([:])
    func podUsage(namespace: String, selector: String, resource: String) async throws -> [String: Int64] { usage.withLock { $0 } }
}

@Suite(.timeLimit(.minutes(1))) struct HorizontalPodAutoscalerTests {
    typealias F = ClusterControllerFixture
    typealias Sample = ReplicaCalculator.PodSample

    static let hpaResource = HorizontalPodAutoscalerController.resource

    static func pods(_ usage: [Int64?], request: Int64 = 100, ready: Bool = true) -> [Sample] {
        usage.enumerated().map { Sample(name: "p\($0)", usage: $1, request: request, ready: ready) }
    }

    @Test func replicasFollowTheUsageRatioOutsideTheTolerance() throws {
        // 3 Pods at 90% of a 50% target: ratio 1.8 → ⌈5.4⌉.
        #expect(try ReplicaCalculator.recommend(current: 3, pods: Self.pods([90, 90, 90]), target: .utilization(50), resource: "cpu")
                == .init(replicas: 6, utilization: 90, averageValue: 90))
        // Within 10% of the target: no change.
        #expect(try ReplicaCalculator.recommend(current: 3, pods: Self.pods([53, 53, 53]), target: .utilization(50), resource: "cpu").replicas == 3)
        // 4 Pods at 10%: down to ⌈0.8⌉ = 1.
        #expect(try ReplicaCalculator.recommend(current: 4, pods: Self.pods([10, 10, 10, 10]), target: .utilization(50), resource: "cpu").replicas == 1)
        // Average value: 3 Pods using 300m each against 200m → ⌈4.5⌉.
        #expect(try ReplicaCalculator.recommend(current: 3, pods: Self.pods([300, 300, 300]), target: .averageValue(200), resource: "cpu").replicas == 5)
    }

    @Test func podsWithoutMetricsDampTheChange() throws {
        // Scaling up: the Pod without metrics counts as idle: (90+90+0)/300 = 60% → ratio 1.2 → ⌈3.6⌉.
        #expect(try ReplicaCalculator.recommend(current: 3, pods: Self.pods([90, 90, nil]), target: .utilization(50), resource: "cpu").replicas == 4)
        // Scaling down: it counts as using its whole request: (10+100)/200 = 55% → within tolerance of 50%.
        #expect(try ReplicaCalculator.recommend(current: 2, pods: Self.pods([10, nil]), target: .utilization(50), resource: "cpu").replicas == 2)
        // Unready Pods count as idle when scaling up on cpu.
        let mixed = Self.pods([100, 100]) + [Sample(name: "new", usage: 100, request: 100, ready: false)]
        #expect(try ReplicaCalculator.recommend(current: 3, pods: mixed, target: .utilization(50), resource: "cpu").replicas == 4)
        #expect(throws: ReplicaCalculator.Failure(message: "unable to get metrics for resource cpu: no metrics returned from resource metrics API")) {
            try ReplicaCalculator.recommend(current: 2, pods: Self.pods([nil, nil]), target: .utilization(50), resource: "cpu")
        }
        #expect(throws: ReplicaCalculator.Failure(message: "missing request for cpu in pod p0")) {
            try ReplicaCalculator.recommend(current: 1, pods: [Sample(name: "p0", usage: 5, request: nil, ready: true)],
                                            target: .utilization(50), resource: "cpu")
        }
    }

    @Test func behaviorLimitsTheRateAndStabilizesScaleDown() {
        let defaults = ScaleBehavior(["behavior": ["scaleUp": ["stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                                               "policies": [["type": "Pods", "value": 4, "periodSeconds": 15],
                                                                            ["type": "Percent", "value": 100, "periodSeconds": 15]]],
                                                   "scaleDown": ["stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                                                 "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]]]]])
        let t = 1_000_000.0
        // Up from 2: at most max(2+4, 2×2) = 6 in 15 s.
        let up = defaults.normalize(desired: 20, current: 2, min: 1, max: 10, now: t, recommendations: [], events: [])
        #expect(up == .init(replicas: 6, limitReason: "ScaleUpLimit",
                            limitMessage: "the desired replica count is increasing faster than the maximum scale rate", limited: true))
        // 10 s after scaling 2 → 6, the period started at 2: still at most 6.
        #expect(defaults.normalize(desired: 20, current: 6, min: 1, max: 10, now: t + 10, recommendations: [], events: [(t, 4)]).replicas == 6)
        // The maximum bounds it.
        #expect(defaults.normalize(desired: 20, current: 8, min: 1, max: 10, now: t, recommendations: [], events: []).limitReason == "TooManyReplicas")
        // Down: the highest recommendation of the last 5 minutes wins.
        let down = defaults.normalize(desired: 2, current: 6, min: 1, max: 10, now: t, recommendations: [(t - 200, 5), (t - 400, 9)], events: [])
        #expect(down == .init(replicas: 5, limitReason: "DesiredWithinRange", limitMessage: "the desired count is within the acceptable range",
                              limited: false))
        #expect(defaults.normalize(desired: 0, current: 3, min: 2, max: 10, now: t, recommendations: [], events: []).replicas == 2)
    }

    @Test func scalesADeploymentOnItsPodsCPUAndReportsStatus() async throws {
        try await F.with([.pods, Self.hpaResource]) { f in
            let metrics = FakePodMetrics()
            let controller = HorizontalPodAutoscalerController(client: f.client, informers: f.informers, events: f.events, metrics: metrics,
                                                               clock: f.clock, wallClock: f.wallClock, logger: HousekeepingCluster.logger)
            let deployment: JSON = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default"],
                                    "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                                             "template": ["metadata": ["labels": ["app": "web"]],
                                                          "spec": ["containers": [["name": "app", "image": "busybox:1"]]]]]]
            _ = try await f.client.create(.deployments, deployment)
            let requests: JSON = ["containers": [["name": "app", "image": "busybox:1", "resources": ["requests": ["cpu": "200m"]]]]]
            for name in ["web-a", "web-b"] {
                _ = try await f.client.create(.pods, F.pod(name, node: "n", labels: ["app": "web"], extraSpec: requests))
                try await f.setRunning(name)
            }
            _ = try await f.client.create(Self.hpaResource, [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "web", "namespace": "default"],
                "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": 1, "maxReplicas": 5,
                         "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]]]])
            try await f.running {
                try await f.waitUntil("caches") { f.lister(.pods).list().filter(PodState.isReady).count == 2
                    && f.lister(Self.hpaResource).count == 1 }
                // No metrics yet: ScalingActive False, nothing scaled.
                try await controller.reconcile("default/web")
                var hpa = try await f.client.get(Self.hpaResource, namespace: "default", name: "web")
                let inactive = hpa["status", "conditions"]?.array?.first { $0["type"] == "ScalingActive" }
                #expect(inactive?["status"] == "False" && inactive?["reason"] == "FailedGetResourceMetric")
                #expect(inactive?["message"]?.string == "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                        + "unable to get metrics for resource cpu: no metrics returned from resource metrics API")

                // 180m of 200m each: 90% against 50% → ⌈3.6⌉ = 4.
                metrics.usage.withLock { $0 = ["web-a": 180, "web-b": 180] }
                try await f.waitUntil("status in cache") {
                    f.lister(Self.hpaResource).get(namespace: "default", name: "web")?["status", "conditions"] != nil }
                try await controller.reconcile("default/web")
                let scaled = try await f.client.get(.deployments, namespace: "default", name: "web")
                #expect(scaled["spec", "replicas"] == 4)
                hpa = try await f.client.get(Self.hpaResource, namespace: "default", name: "web")
                #expect(hpa["status", "currentReplicas"] == 2 && hpa["status", "desiredReplicas"] == 4)
                #expect(hpa["status", "currentMetrics"] == [["type": "Resource", "resource": ["name": "cpu",
                                                             "current": ["averageUtilization": 90, "averageValue": "180m"]]]])
                #expect(hpa["status", "lastScaleTime"]?.string != nil)
                let conditions = Dictionary(uniqueKeysWithValues: (hpa["status", "conditions"]?.array ?? []).map {
                    ($0["type"]?.string ?? "", $0) })
                #expect(conditions["AbleToScale"]?["reason"] == "SucceededRescale")
                #expect(conditions["ScalingActive"]?["message"]
                        == "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)")
                #expect(conditions["ScalingLimited"]?["reason"] == "DesiredWithinRange")
                #expect(hpa["status", "conditions"]?.array?.map { $0["type"]?.string ?? "" } == ["AbleToScale", "ScalingActive", "ScalingLimited"])
            }
        }
    }
}
