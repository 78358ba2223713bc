import SkiffModel

extension LeaderElector {
    var durationSeconds: Int {
        max(1, Int(configuration.leaseDuration.components.seconds))
    }

    static func microTime() -> String { Timestamp.formatMicro(Timestamp.now()) }

    /// One attempt to take or keep the lease (client-go's `tryAcquireOrRenew`). True if this
    /// elector holds it now. Failures (conflicts, network) count as "not acquired".
    func tryAcquireOrRenew(onNewLeader: @Sendable (String) async -> Void) async -> Bool {
        let id = configuration.identity
        let now = clock.now()
        let wall = Self.microTime()
        let lease: JSON
        do {
            lease = try await client.get(.leases, namespace: configuration.namespace, name: configuration.name)
        } catch let error as APIError where error.isNotFound {
            let record = LeaderElectionRecord(holderIdentity: id, leaseDurationSeconds: durationSeconds, acquireTime: wall, renewTime: wall)
            var spec: JSON = [:]
            record.write(to: &spec)
            let object: JSON = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                "metadata": ["name": .string(configuration.name), "namespace": .string(configuration.namespace)], "spec": spec]
            do {
                _ = try await client.create(.leases, namespace: configuration.namespace, object)
            } catch {
                logger.debug("cannot create lease", metadata: ["error": "\(error)"])
                return false
            }
            await observe(record, at: now, onNewLeader: onNewLeader)
            return true
        } catch {
            logger.debug("cannot read lease", metadata: ["error": "\(error)"])
            return false
        }

        let old = LeaderElectionRecord(spec: lease["spec"] ?? [:])
        await observe(old, at: now, onNewLeader: onNewLeader)
        let observedTime = state.withLock { $0.observedTime }
        let expires = observedTime + .seconds(old.leaseDurationSeconds)
        if !old.holderIdentity.isEmpty && old.holderIdentity != id && expires > now {
            return false
        }
        var record = LeaderElectionRecord(holderIdentity: id, leaseDurationSeconds: durationSeconds, acquireTime: wall, renewTime: wall,
                                          leaseTransitions: old.leaseTransitions)
        if old.holderIdentity == id {
            record.acquireTime = old.acquireTime
        } else {
            record.leaseTransitions += 1
        }
        var updated = lease
        var spec = lease["spec"] ?? [:]
        record.write(to: &spec)
        updated["spec"] = spec
        do {
            _ = try await client.update(.leases, updated)
        } catch {
            logger.debug("cannot update lease", metadata: ["error": "\(error)"])
            return false
        }
        await observe(record, at: now, onNewLeader: onNewLeader)
        return true
    }

    /// Records `record` as observed at `now` if it differs from the last one seen, and reports a new holder.
    func observe(_ record: LeaderElectionRecord, at now: Duration, onNewLeader: @Sendable (String) async -> Void) async {
        let newHolder: String? = state.withLock { s in
            guard s.observed != record else { return nil }
            let previous = s.observed?.holderIdentity
            s.observed = record
            s.observedTime = now
            return record.holderIdentity != previous && !record.holderIdentity.isEmpty ? record.holderIdentity : nil
        }
        if let newHolder { await onNewLeader(newHolder) }
    }

    /// Clears the holder if this elector holds the lease (client-go's `release`).
    func release() async {
        do {
            var lease = try await client.get(.leases, namespace: configuration.namespace, name: configuration.name)
            let old = LeaderElectionRecord(spec: lease["spec"] ?? [:])
            guard old.holderIdentity == configuration.identity else { return }
            let wall = Self.microTime()
            let record = LeaderElectionRecord(holderIdentity: "", leaseDurationSeconds: 1, acquireTime: wall, renewTime: wall,
                                              leaseTransitions: old.leaseTransitions)
            var spec = lease["spec"] ?? [:]
            record.write(to: &spec)
            lease["spec"] = spec
            _ = try await client.update(.leases, lease)
            state.withLock { $0.observed = record }
            logger.info("released lease")
        } catch {
            logger.warning("cannot release lease", metadata: ["error": "\(error)"])
        }
    }
}
