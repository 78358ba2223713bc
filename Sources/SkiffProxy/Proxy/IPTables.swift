import Foundation

/// The iptables programs, and the rules in the built-in chains that lead into Skiff's chains.
public struct IPTables: Sendable {
    /// A rule in a built-in chain that jumps to one of Skiff's (kube-proxy's `iptablesJumpChains`).
    struct Jump: Sendable {
        var table: String
        var chain: String
        var rule: [String]
    }

    static let jumps: [Jump] = [
        Jump(table: "filter", chain: "INPUT", rule: ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "skiff externally-visible service portals", "-j", RuleSet.externalServicesChain]),
        Jump(table: "filter", chain: "FORWARD", rule: ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "skiff externally-visible service portals", "-j", RuleSet.externalServicesChain]),
        Jump(table: "filter", chain: "FORWARD", rule: ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "skiff service portals", "-j", RuleSet.servicesChain]),
        Jump(table: "filter", chain: "OUTPUT", rule: ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", "skiff service portals", "-j", RuleSet.servicesChain]),
        Jump(table: "filter", chain: "FORWARD", rule: ["-m", "comment", "--comment", "skiff forwarding rules", "-j", RuleSet.forwardChain]),
        Jump(table: "nat", chain: "PREROUTING", rule: ["-m", "comment", "--comment", "skiff service portals", "-j", RuleSet.servicesChain]),
        Jump(table: "nat", chain: "OUTPUT", rule: ["-m", "comment", "--comment", "skiff service portals", "-j", RuleSet.servicesChain]),
        Jump(table: "nat", chain: "POSTROUTING", rule: ["-m", "comment", "--comment", "skiff postrouting rules", "-j", RuleSet.postroutingChain]),
    ]

    let iptables: String
    let save: String
    let restore: String
    /// A program and arguments every command runs under (tests: `ip netns exec NAME`).
    let wrapper: [String]

    /// Finds iptables, iptables-save and iptables-restore on PATH.
    public init() throws {
        try self.init(wrapper: [])
    }

    init(wrapper: [String]) throws {
        guard let iptables = Command.find("iptables"), let save = Command.find("iptables-save"),
              let restore = Command.find("iptables-restore") else {
            throw ProxyError(.notFound, "iptables, iptables-save and iptables-restore are needed (apt-get install iptables)")
        }
        self.iptables = iptables
        self.save = save
        self.restore = restore
        self.wrapper = wrapper
    }

    func run(_ program: String, _ arguments: [String], stdin: String = "") async throws -> Command.Output {
        guard let first = wrapper.first else { return try await Command.run(program, arguments, stdin: stdin) }
        return try await Command.run(first, Array(wrapper.dropFirst()) + [program] + arguments, stdin: stdin)
    }

    /// Skiff's chains now in the filter and nat tables, as `table/chain`.
    public func skiffChains() async throws -> Set<String> {
        var out: Set<String> = []
        for table in ["filter", "nat"] {
            let r = try await run(save, ["-t", table])
            guard r.status == 0 else { throw failure("iptables-save -t \(table)", r) }
            for line in r.stdout.split(separator: "\n") where line.hasPrefix(":SKIFF-") {
                out.insert(table + "/" + String(line.dropFirst().prefix { $0 != " " }))
            }
        }
        return out
    }

    /// Applies `text` in one transaction, leaving every chain it does not name alone.
    public func apply(_ text: String) async throws {
        let r = try await run(restore, ["-w", "--noflush"], stdin: text)
        guard r.status == 0 else { throw failure("iptables-restore --noflush", r) }
    }

    /// Adds each jump rule that is missing, at the top of its built-in chain. Idempotent.
    public func ensureJumps() async throws {
        for j in Self.jumps {
            let check = try await run(iptables, ["-w", "-t", j.table, "-C", j.chain] + j.rule)
            if check.status == 0 { continue }
            let r = try await run(iptables, ["-w", "-t", j.table, "-I", j.chain] + j.rule)
            guard r.status == 0 else { throw failure("iptables -t \(j.table) -I \(j.chain)", r) }
        }
    }

    /// Removes the jump rules (every copy), then flushes and deletes all of Skiff's chains.
    public func removeAll() async throws {
        for j in Self.jumps {
            for _ in 0..<16 {
                let r = try await run(iptables, ["-w", "-t", j.table, "-D", j.chain] + j.rule)
                if r.status != 0 { break }
            }
        }
        let chains = try await skiffChains()
        if !chains.isEmpty { try await apply(RuleSet.removal(of: chains)) }
    }

    func failure(_ what: String, _ r: Command.Output) -> ProxyError {
        ProxyError(.commandFailed, "\(what) exited \(r.status): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}
