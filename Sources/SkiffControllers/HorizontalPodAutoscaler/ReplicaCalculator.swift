import Foundation
import SkiffModel

/// The replica count one Resource metric (cpu or memory) asks for, as kube-controller-manager's
/// `ReplicaCalculator` works it out.
///
/// The usage ratio is the Pods' usage over the target: average utilization (usage over the sum
/// of their requests) over `averageUtilization`, or average usage over `averageValue`. Within
/// the tolerance (10%) of 1 the count stays. Otherwise Pods without metrics are assumed, in the
/// direction that damps the change, to use nothing (scaling up) or their whole request (scaling
/// down), and Pods that are not Ready (cpu only) to use nothing when scaling up; if the ratio
/// with those assumptions changes direction or falls within the tolerance, the count stays, else
/// it becomes ⌈ratio × Pods counted⌉.
enum ReplicaCalculator {
    static let tolerance = 0.1

    /// One Pod as the calculator needs it.
    struct PodSample {
        var name: String
        /// The Pod's usage of the resource (milli-units for cpu, bytes for memory); nil without metrics.
        var usage: Int64?
        /// The sum of its containers' requests of the resource; nil when a container has none.
        var request: Int64?
        var ready: Bool
    }

    enum Target {
        /// Percent of the Pods' requests.
        case utilization(Int64)
        /// Per Pod, in the usage's unit.
        case averageValue(Int64)
    }

    struct Recommendation: Equatable {
        var replicas: Int
        /// The average utilization in percent (Utilization targets only).
        var utilization: Int64?
        /// The average usage per Pod with metrics.
        var averageValue: Int64
    }

    struct Failure: Error, Equatable {
        var message: String
    }

    static func recommend(current: Int, pods: [PodSample], target: Target, resource: String) throws(Failure) -> Recommendation {
        let measured = pods.filter { $0.usage != nil }
        if measured.isEmpty {
            throw Failure(message: "unable to get metrics for resource \(resource): no metrics returned from resource metrics API")
        }
        let countsUnready = resource == "cpu"
        let counted = measured.filter { $0.ready || !countsUnready }
        let missing = pods.filter { $0.usage == nil }
        let unready = countsUnready ? measured.filter { !$0.ready } : []
        var usage = counted.reduce(Int64(0)) { $0 + ($1.usage ?? 0) }
        let average = measured.reduce(Int64(0)) { $0 + ($1.usage ?? 0) } / Int64(measured.count)

        func ratio(_ usage: Int64, _ pods: [PodSample]) throws(Failure) -> (Double, Int64?) {
            switch target {
            case .utilization(let percent):
                var requests: Int64 = 0
                for p in pods {
                    guard let r = p.request else { throw Failure(message: "missing request for \(resource) in pod \(p.name)") }
                    requests += r
                }
                guard requests > 0 else { throw Failure(message: "no requests for \(resource) on the pods") }
                let utilization = usage * 100 / requests
                return (Double(usage) * 100 / Double(requests) / Double(percent), utilization)
            case .averageValue(let value):
                return (Double(usage) / Double(max(pods.count, 1)) / Double(value), nil)
            }
        }

        guard !counted.isEmpty else {
            // Only unready Pods have metrics: nothing to go on but the current count.
            return Recommendation(replicas: current, utilization: nil, averageValue: average)
        }
        let (usageRatio, utilization) = try ratio(usage, counted)
        let stay = Recommendation(replicas: current, utilization: utilization, averageValue: average)
        if missing.isEmpty && unready.isEmpty {
            if abs(1 - usageRatio) <= tolerance { return stay }
            return Recommendation(replicas: Int(ceil(usageRatio * Double(counted.count))), utilization: utilization, averageValue: average)
        }
        var assumed = counted
        for var p in missing {
            if usageRatio < 1 {
                // Scaling down: a Pod without metrics is taken to use what it asks for.
                switch target {
                case .utilization: p.usage = p.request ?? 0
                case .averageValue(let value): p.usage = value
                }
            } else {
                p.usage = 0
            }
            usage += p.usage ?? 0
            assumed.append(p)
        }
        if usageRatio > 1 {
            for var p in unready {
                p.usage = 0
                assumed.append(p)
            }
        }
        let (newRatio, _) = try ratio(usage, assumed)
        if abs(1 - newRatio) <= tolerance || (usageRatio < 1) != (newRatio < 1) { return stay }
        let replicas = Int(ceil(newRatio * Double(assumed.count)))
        // With the assumptions the count may not move against the first ratio's direction.
        if (newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current) { return stay }
        return Recommendation(replicas: replicas, utilization: utilization, averageValue: average)
    }
}
