import SkiffModel

/// One container probe from a Pod spec (`livenessProbe`, `readinessProbe`, `startupProbe`),
/// with Kubernetes' defaults for the timing fields.
public struct Probe: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case liveness, readiness, startup

        /// The spec field: `livenessProbe`, `readinessProbe`, `startupProbe`.
        public var field: String { rawValue + "Probe" }
        /// As the kubelet writes it in events: `Liveness`, `Readiness`, `Startup`.
        public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
    }

    public enum Handler: Sendable, Hashable {
        case exec(command: [String])
        /// `host` nil: the Pod's IP.
        case httpGet(host: String?, port: Int, path: String, scheme: String, headers: [Header])
        case tcpSocket(host: String?, port: Int)
        case grpc(port: Int, service: String?)
        /// A probe that cannot run as written (no handler, an unknown named port): always fails
        /// with this message.
        case invalid(String)
    }

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var kind: Kind
    public var handler: Handler
    public var timing: ProbeTiming
    /// The probe's own `terminationGracePeriodSeconds` (liveness and startup), overriding the Pod's
    /// when the container is killed for failing it.
    public var terminationGracePeriodSeconds: Double?

    public init(kind: Kind, handler: Handler, timing: ProbeTiming = .init(), terminationGracePeriodSeconds: Double? = nil) {
        self.kind = kind
        self.handler = handler
        self.timing = timing
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
    }

    /// The container's probe of `kind`, or nil when it has none.
    public static func of(container c: JSON, kind: Kind) -> Probe? {
        guard let p = c[kind.field], p.object != nil else { return nil }
        let grace = kind == .readiness ? nil : p["terminationGracePeriodSeconds"]?.int.map(Double.init)
        return Probe(kind: kind, handler: handler(p, container: c), timing: ProbeTiming(p), terminationGracePeriodSeconds: grace)
    }

    static func handler(_ p: JSON, container c: JSON) -> Handler {
        if let e = p["exec"] {
            let command = (e["command"]?.array ?? []).compactMap(\.string)
            return command.isEmpty ? .invalid("exec probe has no command") : .exec(command: command)
        }
        if let h = p["httpGet"] {
            guard let port = resolvePort(h["port"], container: c) else { return .invalid(portError(h["port"])) }
            var path = h["path"]?.string ?? "/"
            if !path.hasPrefix("/") { path = "/" + path }
            let headers = (h["httpHeaders"]?.array ?? []).compactMap { x in
                x["name"]?.string.map { Header(name: $0, value: x["value"]?.string ?? "") }
            }
            return .httpGet(host: nonEmpty(h["host"]?.string), port: port, path: path,
                            scheme: (h["scheme"]?.string ?? "HTTP").uppercased(), headers: headers)
        }
        if let t = p["tcpSocket"] {
            guard let port = resolvePort(t["port"], container: c) else { return .invalid(portError(t["port"])) }
            return .tcpSocket(host: nonEmpty(t["host"]?.string), port: port)
        }
        if let g = p["grpc"] {
            guard let port = g["port"]?.int, (1...65535).contains(port) else { return .invalid("invalid grpc probe port") }
            return .grpc(port: Int(port), service: nonEmpty(g["service"]?.string))
        }
        return .invalid("probe has no handler (exec, httpGet, tcpSocket or grpc)")
    }

    /// A port number, or the name of one of the container's `ports` (the kubelet's
    /// `findPortByName`); a numeric string is a number.
    static func resolvePort(_ port: JSON?, container c: JSON) -> Int? {
        if let n = port?.int { return (1...65535).contains(n) ? Int(n) : nil }
        guard let s = port?.string else { return nil }
        if let n = Int(s) { return (1...65535).contains(n) ? n : nil }
        for p in c["ports"]?.array ?? [] where p["name"]?.string == s {
            if let n = p["containerPort"]?.int { return Int(n) }
        }
        return nil
    }

    static func portError(_ port: JSON?) -> String {
        if let s = port?.string, Int(s) == nil { return "couldn't find port: \(s)" }
        return "invalid port: \(port?.int.map(String.init) ?? "none")"
    }

    static func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
}

/// A probe's timing fields with Kubernetes' defaults.
public struct ProbeTiming: Sendable, Hashable {
    public var initialDelaySeconds: Double = 0
    public var periodSeconds: Double = 10
    public var timeoutSeconds: Double = 1
    public var successThreshold: Int = 1
    public var failureThreshold: Int = 3

    public init(initialDelaySeconds: Double = 0, periodSeconds: Double = 10, timeoutSeconds: Double = 1,
                successThreshold: Int = 1, failureThreshold: Int = 3) {
        self.initialDelaySeconds = initialDelaySeconds
        self.periodSeconds = periodSeconds
        self.timeoutSeconds = timeoutSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
    }

    /// From a probe's JSON; a field left out or below its minimum gets the default (or minimum).
    init(_ p: JSON) {
        if let v = p["initialDelaySeconds"]?.int { initialDelaySeconds = Double(max(v, 0)) }
        if let v = p["periodSeconds"]?.int, v > 0 { periodSeconds = Double(v) }
        if let v = p["timeoutSeconds"]?.int, v > 0 { timeoutSeconds = Double(v) }
        if let v = p["successThreshold"]?.int, v > 0 { successThreshold = Int(v) }
        if let v = p["failureThreshold"]?.int, v > 0 { failureThreshold = Int(v) }
    }
}
