import SkiffModel

/// The leader-election state a Lease's spec holds (client-go's `LeaderElectionRecord`).
public struct LeaderElectionRecord: Sendable, Equatable {
    /// The holder's identity; empty when nobody holds the lease (after a release).
    public var holderIdentity: String
    public var leaseDurationSeconds: Int
    /// MicroTime strings (`2006-01-02T15:04:05.000000Z`).
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int

    public init(holderIdentity: String, leaseDurationSeconds: Int, acquireTime: String? = nil, renewTime: String? = nil,
                leaseTransitions: Int = 0) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// The record in a Lease's `spec`.
    public init(spec: JSON) {
        holderIdentity = spec["holderIdentity"]?.string ?? ""
        leaseDurationSeconds = spec["leaseDurationSeconds"]?.int.map(Int.init) ?? 0
        acquireTime = spec["acquireTime"]?.string
        renewTime = spec["renewTime"]?.string
        leaseTransitions = spec["leaseTransitions"]?.int.map(Int.init) ?? 0
    }

    /// Writes the record into a Lease `spec`, keeping the spec's other fields.
    public func write(to spec: inout JSON) {
        spec["holderIdentity"] = .string(holderIdentity)
        spec["leaseDurationSeconds"] = .int(Int64(leaseDurationSeconds))
        spec["acquireTime"] = acquireTime.map { .string($0) }
        spec["renewTime"] = renewTime.map { .string($0) }
        spec["leaseTransitions"] = .int(Int64(leaseTransitions))
    }
}
