import Foundation
import Glibc

/// A Pod's shared namespaces without a pause process: new network, IPC and UTS namespaces pinned
/// by bind mounts on files under `<dir>/ns/{net,ipc,uts}` (what `ip netns add` does), so every
/// container of the Pod can join them by path and they outlive any one container.
///
/// A host-network Pod keeps the host's network and UTS namespaces (as the kubelet does); a
/// `hostIPC` Pod keeps the host's IPC namespace. Their paths are nil.
public struct PodSandbox: Sendable, Hashable {
    /// The pinned namespace files; nil where the Pod shares the host's namespace.
    public var netPath: String?
    public var ipcPath: String?
    public var utsPath: String?

    /// The namespaces containers of this Pod join.
    public var namespaces: NamespaceMode { .joinPaths(net: netPath, ipc: ipcPath, uts: utsPath) }

    /// Creates (or finds, after an agent restart) the Pod's namespaces under `<podDir>/ns`.
    /// The new UTS namespace gets `hostname`; `lo` is brought up in the new network namespace.
    /// Idempotent: namespaces already pinned are kept as they are.
    public static func create(podDir: String, hostname: String, hostNetwork: Bool, hostIPC: Bool) async throws -> PodSandbox {
        let dir = podDir + "/ns"
        try FileSystem.makeDirectories(dir)
        var sandbox = PodSandbox()
        var wanted: [(String, Int32)] = []
        if !hostNetwork {
            sandbox.netPath = dir + "/net"
            sandbox.utsPath = dir + "/uts"
            wanted += [("net", Namespaces.net), ("uts", Namespaces.uts)]
        }
        if !hostIPC {
            sandbox.ipcPath = dir + "/ipc"
            wanted.append(("ipc", Namespaces.ipc))
        }
        let missing = wanted.filter { !Namespaces.isPinned(dir + "/" + $0.0) }
        if missing.isEmpty { return sandbox }
        // A namespace pinned alone (an earlier attempt failed half way) is replaced with the rest.
        for (name, _) in wanted { Namespaces.unpin(dir + "/" + name) }
        try await Namespaces.pinNew(wanted.map { (dir + "/" + $0.0, $0.1) }, hostname: hostNetwork ? nil : hostname)
        return sandbox
    }

    /// Unpins and deletes the Pod's namespaces (`<podDir>/ns`). Missing ones are not an error;
    /// the namespaces themselves go when the last process in them exits.
    public static func remove(podDir: String) {
        let dir = podDir + "/ns"
        for name in ["net", "ipc", "uts"] { Namespaces.unpin(dir + "/" + name) }
        rmdir(dir)
    }
}

/// Creating, pinning and unpinning namespaces.
enum Namespaces {
    static let net: Int32 = 0x4000_0000  // CLONE_NEWNET
    static let ipc: Int32 = 0x0800_0000  // CLONE_NEWIPC
    static let uts: Int32 = 0x0400_0000  // CLONE_NEWUTS

    /// Whether `path` is a mount point (a pinned namespace file lives on nsfs, not on its
    /// directory's file system).
    static func isPinned(_ path: String) -> Bool {
        var a = stat(), b = stat()
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        guard stat(path, &a) == 0, stat(dir.isEmpty ? "/" : dir, &b) == 0 else { return false }
        return a.st_dev != b.st_dev
    }

    /// unshare(2) and setns(2): glibc has them, Swift's Glibc module does not import them.
    typealias UnshareFunction = @convention(c) (Int32) -> Int32
    typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32

    static func libc<T>(_ name: String, as type: T.Type) throws(RuntimeError) -> T {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw RuntimeError("\(name) is not available") }
        return unsafeBitCast(sym, to: type)
    }

    static func unpin(_ path: String) {
        while isPinned(path) {
            if umount2(path, Int32(MNT_DETACH)) != 0 { break }
        }
        unlink(path)
    }

    /// On a thread of its own (namespaces belong to a thread): unshares `flags`, sets the host
    /// name, brings `lo` up, bind-mounts each namespace on its file, and returns to the
    /// namespaces it came from before the thread ends.
    static func pinNew(_ pins: [(path: String, flag: Int32)], hostname: String?) async throws {
        try await onOwnThread { () throws(RuntimeError) in try pinOnCurrentThread(pins, hostname: hostname) }
    }

    static func pinOnCurrentThread(_ pins: [(path: String, flag: Int32)], hostname: String?) throws(RuntimeError) {
        let kinds: [(flag: Int32, name: String)] = [(net, "net"), (ipc, "ipc"), (uts, "uts")]
        let used = kinds.filter { k in pins.contains { $0.flag == k.flag } }
        // The thread's current namespaces, to go back to.
        var original: [(Int32, Int32)] = []
        defer { for (fd, _) in original { close(fd) } }
        for k in used {
            let fd = open("/proc/thread-self/ns/\(k.name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RuntimeError("open /proc/thread-self/ns/\(k.name): \(errnoText())") }
            original.append((fd, k.flag))
        }
        let unshare = try libc("unshare", as: UnshareFunction.self)
        let setns = try libc("setns", as: SetnsFunction.self)
        let flags = used.reduce(Int32(0)) { $0 | $1.flag }
        guard unshare(flags) == 0 else { throw RuntimeError("unshare: \(errnoText())") }
        defer {
            for (fd, flag) in original where setns(fd, flag) != 0 {
                // A thread left in a Pod's namespace must not run anything else: stop the process.
                fatalError("setns back to the agent's namespace failed: \(errnoText())")
            }
        }
        if let hostname, used.contains(where: { $0.flag == uts }) {
            let bytes = Array(hostname.utf8.prefix(64))
            let r = bytes.withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { sethostname($0, bytes.count) }
            }
            guard r == 0 else { throw RuntimeError("sethostname \(hostname): \(errnoText())") }
        }
        if used.contains(where: { $0.flag == net }) { try loopbackUp() }
        for pin in pins {
            guard let kind = kinds.first(where: { $0.flag == pin.flag }) else { continue }
            let fd = open(pin.path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o444)
            guard fd >= 0 else { throw RuntimeError("create \(pin.path): \(errnoText())") }
            close(fd)
            guard mount("/proc/thread-self/ns/\(kind.name)", pin.path, nil, UInt(MS_BIND), nil) == 0 else {
                throw RuntimeError("bind mount \(kind.name) namespace on \(pin.path): \(errnoText())")
            }
        }
    }

    /// `ip link set lo up` in the current network namespace.
    static func loopbackUp() throws(RuntimeError) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("socket: \(errnoText())") }
        defer { close(fd) }
        var req = ifreq()
        withUnsafeMutableBytes(of: &req.ifr_ifrn) { p in
            for (i, b) in "lo".utf8.enumerated() { p[i] = b }
        }
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &req) == 0 else { throw RuntimeError("SIOCGIFFLAGS lo: \(errnoText())") }
        req.ifr_ifru.ifru_flags |= Int16(IFF_UP) | Int16(IFF_RUNNING)
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &req) == 0 else { throw RuntimeError("SIOCSIFFLAGS lo: \(errnoText())") }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// Runs `body` on a new thread of its own (for per-thread kernel state such as namespaces).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws(RuntimeError) -> T) async throws -> T {
    let result = await withCheckedContinuation { (cont: CheckedContinuation<Result<T, RuntimeError>, Never>) in
        Thread.detachNewThread {
            do throws(RuntimeError) { cont.resume(returning: .success(try body())) } catch { cont.resume(returning: .failure(error)) }
        }
    }
    return try result.get()
}
