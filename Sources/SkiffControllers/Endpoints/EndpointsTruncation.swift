import SkiffModel

/// Endpoints hold at most 1,000 addresses (`truncateEndpoints` of the endpoints controller):
/// beyond that, not-ready addresses are cut first; if the ready ones alone are too many, every
/// not-ready one goes and the ready ones are cut; each subset keeps its share, rounded up.
/// The Endpoints is then annotated `endpoints.kubernetes.io/over-capacity: truncated`.
enum EndpointsTruncation {
    static let maxCapacity = 1000
    static let annotation = "endpoints.kubernetes.io/over-capacity"

    /// Truncates `subsets` in place; returns whether it had to.
    static func truncate(_ subsets: inout [JSON], max maxCapacity: Int = maxCapacity) -> Bool {
        func count(_ s: JSON, _ field: String) -> Int { s[field]?.array?.count ?? 0 }
        let ready = subsets.reduce(0) { $0 + count($1, "addresses") }
        let notReady = subsets.reduce(0) { $0 + count($1, "notReadyAddresses") }
        guard ready + notReady > maxCapacity else { return false }
        let truncateReady = ready > maxCapacity
        let limit = truncateReady ? maxCapacity : maxCapacity - ready
        let total = truncateReady ? ready : notReady
        var canBeAdded = limit
        for i in subsets.indices {
            let field = truncateReady ? "addresses" : "notReadyAddresses"
            let inSubset = count(subsets[i], field)
            var toBeAdded = total == 0 ? 0 : Int((Double(inSubset) / Double(total) * Double(limit)).rounded(.up))
            toBeAdded = min(toBeAdded, canBeAdded)
            let kept = Array((subsets[i][field]?.array ?? []).prefix(toBeAdded))
            subsets[i][field] = kept.isEmpty ? nil : .array(kept)
            if truncateReady { subsets[i]["notReadyAddresses"] = nil }
            canBeAdded -= kept.count
        }
        return true
    }
}
