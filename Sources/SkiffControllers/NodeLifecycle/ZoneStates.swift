import SkiffClient
import SkiffModel

/// The health of each zone and the rate at which its nodes may get NoExecute taints (the node
/// lifecycle controller's zone states and `zoneNoExecuteTainter` limiters).
///
/// A zone (`topology.kubernetes.io/region` + `zone` labels) is `fullDisruption` when none of its
/// nodes is Ready, `partialDisruption` when more than 2 and at least `unhealthyThreshold` of them
/// are not, else `normal`. Nodes are tainted at `healthyRate` per second (burst 1) in a normal or
/// fully disrupted zone; in a partially disrupted one at `secondaryRate`, or not at all when the
/// zone has at most `largeClusterSize` nodes.
struct ZoneStates: Sendable {
    enum State: String, Sendable { case normal = "Normal", partialDisruption = "PartialDisruption", fullDisruption = "FullDisruption" }

    struct Rates: Sendable {
        var healthyRate = 0.1
        var secondaryRate = 0.01
        var unhealthyThreshold = 0.55
        var largeClusterSize = 50
    }

    /// Zone -> (tokens, when last refilled).
    var buckets: [String: (tokens: Double, at: Duration)] = [:]
    var states: [String: State] = [:]

    static func zone(_ node: JSON) -> String {
        let labels = node.objectLabels
        let region = labels["topology.kubernetes.io/region"] ?? labels["failure-domain.beta.kubernetes.io/region"] ?? ""
        let zone = labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? ""
        return region + ":\u{0}:" + zone
    }

    static func state(ready: Int, notReady: Int, threshold: Double) -> State {
        if ready == 0 && notReady > 0 { return .fullDisruption }
        if notReady > 2 && Double(notReady) / Double(ready + notReady) >= threshold { return .partialDisruption }
        return .normal
    }

    /// Recomputes every zone's state from `nodes`; returns (zone, old, new) for the ones that changed.
    mutating func update(_ nodes: [JSON], rates: Rates) -> [(zone: String, from: State?, to: State)] {
        var counts: [String: (ready: Int, notReady: Int)] = [:]
        for node in nodes {
            var c = counts[Self.zone(node)] ?? (0, 0)
            if NodeConditions.ready(node) == "True" { c.ready += 1 } else { c.notReady += 1 }
            counts[Self.zone(node)] = c
        }
        var changes: [(String, State?, State)] = []
        var next: [String: State] = [:]
        for (zone, c) in counts {
            let s = Self.state(ready: c.ready, notReady: c.notReady, threshold: rates.unhealthyThreshold)
            if states[zone] != s { changes.append((zone, states[zone], s)) }
            next[zone] = s
        }
        states = next
        buckets = buckets.filter { next[$0.key] != nil }
        return changes.sorted { $0.0 < $1.0 }
    }

    /// Takes a token for tainting one more node of `zone` (of `size` nodes) at `now`.
    mutating func mayTaint(zone: String, size: Int, now: Duration, rates: Rates) -> Bool {
        let rate: Double
        switch states[zone] ?? .normal {
        case .normal, .fullDisruption: rate = rates.healthyRate
        case .partialDisruption: rate = size > rates.largeClusterSize ? rates.secondaryRate : 0
        }
        guard rate > 0 else { return false }
        var bucket = buckets[zone] ?? (1, now)
        let elapsed = Double((now - bucket.at).components.seconds) + Double((now - bucket.at).components.attoseconds) / 1e18
        bucket.tokens = min(1, bucket.tokens + elapsed * rate)
        bucket.at = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[zone] = bucket
        return allowed
    }
}
