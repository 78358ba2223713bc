import Logging
import SkiffClient
import SkiffModel

/// Makes each Service's cluster IP and node ports lead to its ready endpoints on this node,
/// in iptables (kube-proxy's iptables mode).
///
/// Watches Services and EndpointSlices; after a change (changes are coalesced: at most one
/// sync every `minSyncInterval`) it writes the whole content of Skiff's chains with one
/// `iptables-restore --noflush` (see `RuleSet`) and makes sure the built-in chains jump to them.
/// A failed sync is retried after `retryInterval`; every `syncPeriod` the rules are written
/// again and the jump rules checked, repairing what something else changed. When `run()` is cancelled it removes its jump
/// rules and chains; starting again rewrites them, so a crash leaves nothing that a restart
/// does not replace.
///
/// ```swift
/// let proxy = try ServiceProxy(configuration: .init(rules: .init(localPodCIDRs: ["10.42.0.0/24"])),
///                              client: client, logger: logger)
/// group.addTask { try await proxy.run() }
/// ```
public struct ServiceProxy: Sendable {
    public struct Configuration: Sendable {
        public var rules: RuleSet.Options
        /// The shortest time between two syncs. Default 200 ms.
        public var minSyncInterval: Duration = .milliseconds(200)
        /// How soon a failed sync is tried again. Default 1 s.
        public var retryInterval: Duration = .seconds(1)
        /// Every rule is rewritten at least this often, repairing what others changed
        /// (kube-proxy's `--iptables-sync-period`). Default 30 s.
        public var syncPeriod: Duration = .seconds(30)

        public init(rules: RuleSet.Options = .init()) {
            self.rules = rules
        }
    }

    public let configuration: Configuration
    let iptables: IPTables
    let services: Informer
    let slices: Informer
    let logger: Logger

    /// Throws when iptables is not installed.
    public init(configuration: Configuration, client: Client, logger: Logger) throws {
        try self.init(configuration: configuration, client: client, iptables: IPTables(), logger: logger)
    }

    init(configuration: Configuration, client: Client, iptables: IPTables, logger: Logger) {
        self.configuration = configuration
        self.iptables = iptables
        var logger = logger
        logger[metadataKey: "component"] = "proxy"
        self.logger = logger
        services = Informer(client: client, resource: .services, logger: logger)
        slices = Informer(client: client, resource: .endpointSlices, logger: logger)
    }

    /// Why this machine cannot run the proxy, or nil when it can.
    public static var unavailable: String? {
        do { _ = try IPTables(); return nil } catch { return "\(error)" }
    }

    /// Runs until cancelled, then removes Skiff's rules.
    public func run() async throws {
        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let poke = EventHandler(onAdd: { _ in changed.yield() }, onUpdate: { _, _ in changed.yield() },
                                onDelete: { _ in changed.yield() })
        services.addEventHandler(poke)
        slices.addEventHandler(poke)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await services.run() }
            group.addTask { try? await slices.run() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: configuration.syncPeriod)
                    changed.yield()
                }
            }
            group.addTask { await syncLoop(changes, retry: changed) }
            await group.next()
            group.cancelAll()
        }
        do {
            try await iptables.removeAll()
            logger.info("service proxy rules removed")
        } catch {
            logger.error("cannot remove service proxy rules", metadata: ["error": "\(error)"])
        }
    }

    func syncLoop(_ changes: AsyncStream<Void>, retry: AsyncStream<Void>.Continuation) async {
        do {
            try await services.waitForSync()
            try await slices.waitForSync()
        } catch { return }
        retry.yield()
        // The jump rules are checked on the first sync, after a failure, and once a sync period,
        // not on every change (eight iptables runs).
        let clock = ContinuousClock()
        var jumpsChecked: ContinuousClock.Instant?
        for await _ in changes {
            if Task.isCancelled { return }
            do {
                let due = jumpsChecked.map { clock.now - $0 >= configuration.syncPeriod } ?? true
                try await sync(ensureJumps: due)
                if due { jumpsChecked = clock.now }
            } catch {
                jumpsChecked = nil
                logger.error("service proxy sync failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.retryInterval)
                retry.yield()
            }
            try? await Task.sleep(for: configuration.minSyncInterval)
        }
    }

    /// Writes the rules for what the informers hold now.
    func sync(ensureJumps: Bool) async throws {
        let ports = ServicePort.from(services: services.lister.list(), slices: slices.lister.list())
        let text = RuleSet.render(ports, options: configuration.rules, stale: try await iptables.skiffChains())
        try await iptables.apply(text)
        if ensureJumps { try await iptables.ensureJumps() }
        logger.debug("service proxy synced", metadata: ["ports": "\(ports.count)"])
    }
}
