/// What a runtime reports about one container.
public struct ContainerState: Sendable, Hashable {
    public var id: String
    /// "created", "running", "paused" or "stopped" (runc's words).
    public var status: String
    public var pid: Int32
    public var bundle: String

    public init(id: String, status: String, pid: Int32, bundle: String) {
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
    }
}

/// How a container's init process ended.
public struct ExitStatus: Sendable, Hashable {
    /// The exit code as Kubernetes reports it: the code, or 128 + the signal number.
    public var exitCode: Int32
    public var signal: Int32?
    /// The kernel's OOM killer killed a process of the container's cgroup.
    public var oomKilled: Bool

    public init(exitCode: Int32, signal: Int32? = nil, oomKilled: Bool = false) {
        self.exitCode = exitCode
        self.signal = signal
        self.oomKilled = oomKilled
    }

    /// Kubernetes' terminated reason: OOMKilled, Completed or Error.
    public var reason: String {
        if oomKilled { return "OOMKilled" }
        return exitCode == 0 ? "Completed" : "Error"
    }
}

/// The output and exit code of a command run in a container.
public struct ExecResult: Sendable, Hashable {
    public var exitCode: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
}

public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// An OCI container runtime as the node agent uses it.
public protocol ContainerRuntime: Sendable {
    /// Writes the bundle and creates the container (its init waits for `start`); stdout and
    /// stderr go to `logPath` in the CRI log format.
    func create(id: String, spec: ContainerSpec, rootfs: String, logPath: String) async throws
    func start(id: String) async throws
    func state(id: String) async throws -> ContainerState
    func list() async throws -> [ContainerState]
    func kill(id: String, signal: Int32) async throws
    /// Removes the container, its cgroups, its bundle and its runtime state.
    func delete(id: String) async throws
    func exec(id: String, args: [String], env: [String]) async throws -> ExecResult
    func update(id: String, resources: ResourceSpec) async throws
    /// Waits for the container's init process to exit.
    func wait(id: String) async throws -> ExitStatus
}

extension ContainerRuntime {
    /// SIGTERM, then SIGKILL when the container is still running after `grace` seconds.
    public func stop(id: String, grace: Double) async throws -> ExitStatus {
        try? await kill(id: id, signal: 15)
        let exited = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await self.wait(id: id)) != nil }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(grace, 0) * 1e9))
                return false
            }
            let first = await group.next() ?? false
            if !first { try? await self.kill(id: id, signal: 9) }
            group.cancelAll()
            return first
        }
        _ = exited
        return try await wait(id: id)
    }
}
