import Foundation
import Glibc
import SkiffModel

/// What the node reports about itself: capacity, allocatable, conditions, addresses, node info.
struct NodeStatus {
    /// The kubelet's default hard eviction thresholds, kept out of allocatable.
    static let evictionMemory: Int64 = 100 * 1024 * 1024
    static let evictionDiskFraction = 0.10

    var cpus: Int
    var memoryBytes: Int64
    var memoryAvailableBytes: Int64
    var diskBytes: Int64
    var diskAvailableBytes: Int64
    var maxPods: Int

    /// Reads the machine: online CPUs, /proc/meminfo, the data directory's file system.
    static func measure(dataDir: String, maxPods: Int) -> NodeStatus {
        var fs = statvfs()
        var disk: Int64 = 0, diskFree: Int64 = 0
        if statvfs(dataDir, &fs) == 0 {
            disk = Int64(fs.f_blocks) * Int64(fs.f_frsize)
            diskFree = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        }
        return NodeStatus(cpus: max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1), memoryBytes: FileSystem.memoryTotal(),
                          memoryAvailableBytes: memInfo("MemAvailable:") ?? FileSystem.memoryTotal(),
                          diskBytes: disk, diskAvailableBytes: diskFree, maxPods: maxPods)
    }

    static func memInfo(_ field: String) -> Int64? {
        for line in (FileSystem.read("/proc/meminfo") ?? "").split(separator: "\n") where line.hasPrefix(field) {
            let f = line.split(separator: " ")
            if f.count >= 2, let kb = Int64(f[1]) { return kb * 1024 }
        }
        return nil
    }

    var capacity: JSON {
        ["cpu": .string(String(cpus)), "memory": .string("\(memoryBytes / 1024)Ki"), "pods": .string(String(maxPods)),
         "ephemeral-storage": .string("\(diskBytes / 1024)Ki")]
    }

    var allocatable: JSON {
        let mem = max(memoryBytes - Self.evictionMemory, 0)
        let disk = Int64(Double(diskBytes) * (1 - Self.evictionDiskFraction))
        return ["cpu": .string(String(cpus)), "memory": .string("\(mem / 1024)Ki"), "pods": .string(String(maxPods)),
                "ephemeral-storage": .string(String(disk))]
    }

    var memoryPressure: Bool { memoryAvailableBytes < Self.evictionMemory }
    var diskPressure: Bool { diskBytes > 0 && Double(diskAvailableBytes) < Double(diskBytes) * Self.evictionDiskFraction }

    /// The four conditions; `previous` (the Node's current conditions) keeps transition times.
    func conditions(previous: [JSON], now: String) -> [JSON] {
        func condition(_ type: String, _ on: Bool, _ yes: (String, String), _ no: (String, String)) -> JSON {
            let status = on ? "True" : "False"
            let old = previous.first { $0["type"]?.string == type }
            let since = old?["status"]?.string == status ? (old?["lastTransitionTime"]?.string ?? now) : now
            let (reason, message) = on ? yes : no
            return ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                    "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(since)]
        }
        return [
            condition("MemoryPressure", memoryPressure, ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
                      ("KubeletHasSufficientMemory", "kubelet has sufficient memory available")),
            condition("DiskPressure", diskPressure, ("KubeletHasDiskPressure", "kubelet has disk pressure"),
                      ("KubeletHasNoDiskPressure", "kubelet has no disk pressure")),
            condition("PIDPressure", false, ("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
                      ("KubeletHasSufficientPID", "kubelet has sufficient PID available")),
            condition("Ready", true, ("KubeletReady", "kubelet is posting ready status"), ("KubeletNotReady", "")),
        ]
    }

    /// `nodeInfo`: kernel, OS image, architecture, machine and boot ids, versions.
    static func nodeInfo(runtimeVersion: String, kubeletVersion: String) -> JSON {
        var u = utsname()
        uname(&u)
        func field<T>(_ v: T) -> String { withUnsafeBytes(of: v) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
        let machine = field(u.machine)
        let arch = ["x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"][machine] ?? machine
        let machineID = (FileSystem.read("/etc/machine-id") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let bootID = (FileSystem.read("/proc/sys/kernel/random/boot_id") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let productUUID = (FileSystem.read("/sys/class/dmi/id/product_uuid") ?? machineID).trimmingCharacters(in: .whitespacesAndNewlines)
        return ["machineID": .string(machineID), "systemUUID": .string(productUUID), "bootID": .string(bootID),
                "kernelVersion": .string(field(u.release)), "osImage": .string(osImage()),
                "containerRuntimeVersion": .string(runtimeVersion), "kubeletVersion": .string(kubeletVersion),
                "kubeProxyVersion": .string(kubeletVersion), "operatingSystem": "linux", "architecture": .string(arch)]
    }

    static var architecture: String { nodeInfo(runtimeVersion: "", kubeletVersion: "")["architecture"]?.string ?? "amd64" }

    /// PRETTY_NAME from /etc/os-release.
    static func osImage() -> String {
        for line in (FileSystem.read("/etc/os-release") ?? "").split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return "Linux"
    }

    /// The first non-loopback IPv4 address of this network namespace, else 127.0.0.1.
    /// The first IPv4 address of this machine that is not loopback nor the Pod network's.
    static func defaultIP() -> String {
        var ifaddr: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&ifaddr) == 0 else { return "127.0.0.1" }
        defer { freeifaddrs(ifaddr) }
        var p = ifaddr
        while let a = p {
            // The Pod network's own bridge and veths are not the node's address.
            let interface = String(cString: a.pointee.ifa_name)
            if interface == "skiff0" || interface.hasPrefix("veth") {
                p = a.pointee.ifa_next
                continue
            }
            if let sa = a.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) {
                var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &addr, &buf, socklen_t(INET_ADDRSTRLEN))
                }
                let ip = String(cString: buf)
                if !ip.hasPrefix("127.") { return ip }
            }
            p = a.pointee.ifa_next
        }
        return "127.0.0.1"
    }
}
