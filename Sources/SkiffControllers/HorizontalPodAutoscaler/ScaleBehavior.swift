import Foundation
import SkiffModel
import Synchronization

/// An HPA's `spec.behavior` applied to a recommendation (kube-controller-manager's
/// `normalizeDesiredReplicasWithBehaviors`): the stabilization windows (scaling up to the lowest
/// recommendation of the up window, down to the highest of the down window), then the rate
/// policies over the scale events of their periods, then `minReplicas`/`maxReplicas`.
struct ScaleBehavior {
    struct Policy {
        /// `Pods` or `Percent`.
        var type: String
        var value: Int
        var periodSeconds: Double
    }

    struct Rules {
        var stabilizationWindowSeconds: Double
        /// `Max` (the policy allowing the largest change), `Min`, or `Disabled`.
        var selectPolicy: String
        var policies: [Policy]

        init(_ rules: JSON?, defaultWindow: Double) {
            stabilizationWindowSeconds = rules?["stabilizationWindowSeconds"]?.int.map(Double.init) ?? defaultWindow
            selectPolicy = rules?["selectPolicy"]?.string ?? "Max"
            policies = (rules?["policies"]?.array ?? []).compactMap { p in
                guard let type = p["type"]?.string, let value = p["value"]?.int, let period = p["periodSeconds"]?.int else { return nil }
                return Policy(type: type, value: Int(value), periodSeconds: Double(period))
            }
        }
    }

    var up: Rules
    var down: Rules

    init(_ spec: JSON) {
        up = Rules(spec["behavior", "scaleUp"], defaultWindow: 0)
        down = Rules(spec["behavior", "scaleDown"], defaultWindow: 300)
    }

    /// The longest time a recommendation or scale event matters.
    var horizon: Double {
        ([up.stabilizationWindowSeconds, down.stabilizationWindowSeconds] + (up.policies + down.policies).map(\.periodSeconds)).max() ?? 0
    }

    struct Outcome: Equatable {
        var replicas: Int
        /// The `ScalingLimited` condition: reason and message.
        var limitReason: String
        var limitMessage: String
        var limited: Bool
    }

    /// `desired` after the windows, the rate policies and the bounds. `recommendations` and
    /// `events` are this HPA's history: (time, recommended replicas) and (time, replicas change).
    func normalize(desired: Int, current: Int, min: Int, max: Int, now: Double,
                   recommendations: [(Double, Int)], events: [(Double, Int)]) -> Outcome {
        var upRecommendation = desired, downRecommendation = desired
        for (time, replicas) in recommendations {
            if time > now - up.stabilizationWindowSeconds { upRecommendation = Swift.min(upRecommendation, replicas) }
            if time > now - down.stabilizationWindowSeconds { downRecommendation = Swift.max(downRecommendation, replicas) }
        }
        var stabilized = current
        if stabilized < upRecommendation { stabilized = upRecommendation }
        if stabilized > downRecommendation { stabilized = downRecommendation }

        if stabilized > current {
            let limit = Swift.max(current, scaleUpLimit(current: current, now: now, events: events))
            let allowed = Swift.min(max, limit)
            if stabilized > allowed {
                return limit < max
                    ? Outcome(replicas: allowed, limitReason: "ScaleUpLimit",
                              limitMessage: "the desired replica count is increasing faster than the maximum scale rate", limited: true)
                    : Outcome(replicas: allowed, limitReason: "TooManyReplicas",
                              limitMessage: "the desired replica count is more than the maximum replica count", limited: true)
            }
        } else if stabilized < current {
            let limit = Swift.min(current, scaleDownLimit(current: current, now: now, events: events))
            let allowed = Swift.max(min, limit)
            if stabilized < allowed {
                return limit > min
                    ? Outcome(replicas: allowed, limitReason: "ScaleDownLimit",
                              limitMessage: "the desired replica count is decreasing faster than the maximum scale rate", limited: true)
                    : Outcome(replicas: allowed, limitReason: "TooFewReplicas",
                              limitMessage: "the desired replica count is less than the minimum replica count", limited: true)
            }
        }
        if stabilized > max {
            return Outcome(replicas: max, limitReason: "TooManyReplicas",
                           limitMessage: "the desired replica count is more than the maximum replica count", limited: true)
        }
        if stabilized < min {
            return Outcome(replicas: min, limitReason: "TooFewReplicas",
                           limitMessage: "the desired replica count is less than the minimum replica count", limited: true)
        }
        return Outcome(replicas: stabilized, limitReason: "DesiredWithinRange", limitMessage: "the desired count is within the acceptable range",
                       limited: false)
    }

    func scaleUpLimit(current: Int, now: Double, events: [(Double, Int)]) -> Int {
        if up.selectPolicy == "Disabled" { return current }
        var result = up.selectPolicy == "Min" ? Int.max : Int.min
        for policy in up.policies {
            let added = events.filter { $0.0 > now - policy.periodSeconds && $0.1 > 0 }.reduce(0) { $0 + $1.1 }
            let start = current - added
            let limit = policy.type == "Pods" ? start + policy.value : Int(ceil(Double(start) * (1 + Double(policy.value) / 100)))
            result = up.selectPolicy == "Min" ? Swift.min(result, limit) : Swift.max(result, limit)
        }
        return up.policies.isEmpty ? Int.max : result
    }

    func scaleDownLimit(current: Int, now: Double, events: [(Double, Int)]) -> Int {
        if down.selectPolicy == "Disabled" { return current }
        var result = down.selectPolicy == "Min" ? Int.min : Int.max
        for policy in down.policies {
            let removed = events.filter { $0.0 > now - policy.periodSeconds && $0.1 < 0 }.reduce(0) { $0 - $1.1 }
            let start = current + removed
            let limit = policy.type == "Pods" ? start - policy.value : Int(floor(Double(start) * (1 - Double(policy.value) / 100)))
            result = down.selectPolicy == "Min" ? Swift.max(result, limit) : Swift.min(result, limit)
        }
        return down.policies.isEmpty ? Int.min : result
    }
}

/// What each HPA's behavior looks back on, kept in memory as kube-controller-manager keeps it:
/// recent recommendations and scale events, by HPA key.
final class ScaleHistory: Sendable {
    private let state = Mutex<(recommendations: [String: [(Double, Int)]], events: [String: [(Double, Int)]])>(([:], [:]))

    func recommendations(_ key: String) -> [(Double, Int)] { state.withLock { $0.recommendations[key] ?? [] } }
    func events(_ key: String) -> [(Double, Int)] { state.withLock { $0.events[key] ?? [] } }

    func record(_ key: String, recommendation: Int, change: Int?, now: Double, horizon: Double) {
        state.withLock { s in
            s.recommendations[key, default: []].append((now, recommendation))
            s.recommendations[key]?.removeAll { $0.0 <= now - horizon }
            if let change, change != 0 { s.events[key, default: []].append((now, change)) }
            s.events[key]?.removeAll { $0.0 <= now - horizon }
        }
    }

    func forget(_ key: String) {
        state.withLock { s in
            s.recommendations[key] = nil
            s.events[key] = nil
        }
    }
}
