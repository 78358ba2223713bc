import SkiffModel

/// Amounts of compute resources as the scheduler counts them (kube-scheduler's
/// `framework.Resource`): cpu in millicores, memory and ephemeral storage in bytes, the number
/// of Pods a node allows, and every other resource (extended resources such as
/// `example.com/gpu`, hugepages) in whole units.
public struct Resources: Sendable, Hashable {
    public var milliCPU: Int64 = 0
    public var memory: Int64 = 0
    public var ephemeralStorage: Int64 = 0
    /// Only meaningful for a node's allocatable (`pods`).
    public var allowedPods: Int64 = 0
    /// Every other named resource; zero amounts are not kept.
    public var scalar: [String: Int64] = [:]

    public init(milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0, allowedPods: Int64 = 0,
                scalar: [String: Int64] = [:]) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.allowedPods = allowedPods
        self.scalar = scalar.filter { $0.value != 0 }
    }

    /// A resource list object (`{"cpu": "500m", "memory": "1Gi", "example.com/gpu": 1}`).
    /// Quantities that do not parse count as zero (the API server validates them).
    public init(list: JSON?) {
        for (name, value) in list?.members ?? [:] {
            guard let q = try? Quantity(json: value) else { continue }
            set(name, q)
        }
    }

    public static let zero = Resources()

    /// Sets one resource from a quantity.
    public mutating func set(_ name: String, _ q: Quantity) {
        switch name {
        case "cpu": milliCPU = q.milliValue
        case "memory": memory = q.value
        case "ephemeral-storage": ephemeralStorage = q.value
        case "pods": allowedPods = q.value
        default:
            let v = q.value
            scalar[name] = v == 0 ? nil : v
        }
    }

    /// The amount of one resource by its API name.
    public func amount(_ name: String) -> Int64 {
        switch name {
        case "cpu": return milliCPU
        case "memory": return memory
        case "ephemeral-storage": return ephemeralStorage
        case "pods": return allowedPods
        default: return scalar[name] ?? 0
        }
    }

    /// True when nothing is requested (pods not counted).
    public var isZero: Bool { milliCPU == 0 && memory == 0 && ephemeralStorage == 0 && scalar.isEmpty }

    public mutating func add(_ other: Resources) {
        milliCPU += other.milliCPU
        memory += other.memory
        ephemeralStorage += other.ephemeralStorage
        allowedPods += other.allowedPods
        for (k, v) in other.scalar { scalar[k, default: 0] += v }
    }

    public mutating func subtract(_ other: Resources) {
        milliCPU -= other.milliCPU
        memory -= other.memory
        ephemeralStorage -= other.ephemeralStorage
        allowedPods -= other.allowedPods
        for (k, v) in other.scalar {
            let left = scalar[k, default: 0] - v
            scalar[k] = left == 0 ? nil : left
        }
    }

    /// Each resource becomes the larger of the two (how init containers count).
    public mutating func setMax(_ other: Resources) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        allowedPods = max(allowedPods, other.allowedPods)
        for (k, v) in other.scalar { scalar[k] = max(scalar[k, default: 0], v) }
    }

    public static func + (a: Resources, b: Resources) -> Resources {
        var r = a
        r.add(b)
        return r
    }
}

/// How much a Pod asks for (`resource.PodRequests`), and the non-zero variant used for scoring.
public enum PodRequests {
    /// The defaults the scorers assume for a container that requests no cpu or memory
    /// (`schedutil.DefaultMilliCPURequest`, `DefaultMemoryRequest`).
    public static let defaultMilliCPU: Int64 = 100
    public static let defaultMemory: Int64 = 200 * 1024 * 1024

    /// One container's requests; a resource with a limit but no request requests its limit (as
    /// the API server's defaulting makes it).
    public static func container(_ c: JSON) -> Resources {
        var r = Resources(list: c["resources", "requests"])
        for (name, value) in c["resources", "limits"]?.members ?? [:] where c["resources", "requests", name] == nil {
            if let q = try? Quantity(json: value) { r.set(name, q) }
        }
        r.allowedPods = 0
        return r
    }

    /// The Pod's effective request: the sum of its containers (and of restartable init
    /// containers, which keep running beside them), or the largest single init container
    /// (plus the sidecars started before it) if that is larger; then the Pod overhead.
    public static func pod(_ spec: JSON) -> Resources {
        compute(spec, container: container)
    }

    /// As `pod(_:)`, cpu and memory only, with `defaultMilliCPU` and `defaultMemory` for a
    /// container that requests none (`NonMissingContainerRequests`).
    public static func nonZero(_ spec: JSON) -> Resources {
        compute(spec) { c in
            let r = container(c)
            return Resources(milliCPU: r.milliCPU == 0 && c["resources", "requests", "cpu"] == nil && c["resources", "limits", "cpu"] == nil
                                 ? defaultMilliCPU : r.milliCPU,
                             memory: r.memory == 0 && c["resources", "requests", "memory"] == nil && c["resources", "limits", "memory"] == nil
                                 ? defaultMemory : r.memory)
        }
    }

    static func compute(_ spec: JSON, container: (JSON) -> Resources) -> Resources {
        var total = Resources()
        for c in spec["containers"]?.array ?? [] { total.add(container(c)) }
        var sidecars = Resources()
        var initMax = Resources()
        for c in spec["initContainers"]?.array ?? [] {
            let r = container(c)
            if c["restartPolicy"]?.string == "Always" {
                sidecars.add(r)
                initMax.setMax(sidecars)
            } else {
                initMax.setMax(sidecars + r)
            }
        }
        total.add(sidecars)
        total.setMax(initMax)
        if let overhead = spec["overhead"] { total.add(Resources(list: overhead)) }
        total.allowedPods = 0
        return total
    }
}
