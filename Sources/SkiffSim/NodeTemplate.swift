import SkiffModel

/// The Node objects and Leases of simulated nodes.
public enum NodeTemplate {
    /// `10.244.<i>.0/24`, continuing into `10.245...` past 256 nodes.
    public static func podCIDRBase(_ index: Int) -> (Int, Int) { (244 + index / 256, index % 256) }

    /// The node's InternalIP: `127.20.<i / 250>.<i % 250 + 2>`, a loopback address, so that
    /// whatever dials a simulated node's kubelet (logs, exec, the metrics API) stays on this
    /// machine and is refused at once.
    public static func internalIP(_ index: Int) -> String { "127.20.\(index / 250).\(index % 250 + 2)" }

    /// The Pod IP number `n` (1...254) of node `index`.
    public static func podIP(node index: Int, _ n: Int) -> String {
        let (b, c) = podCIDRBase(index)
        return "10.\(b).\(c).\(n)"
    }

    /// A new Node object (`spec` and `metadata` only: status is written separately).
    public static func node(name: String, index: Int, labels: [String: String]) -> JSON {
        var all = ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                   "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "type": "skiff-sim"]
        for (k, v) in labels { all[k] = v }
        let (b, c) = podCIDRBase(index)
        let cidr = "10.\(b).\(c).0/24"
        return ["apiVersion": "v1", "kind": "Node",
                "metadata": ["name": .string(name), "labels": JSON(all),
                             "annotations": ["node.alpha.kubernetes.io/ttl": "0", "skiff.dev/simulated": "true"]],
                "spec": ["podCIDR": .string(cidr), "podCIDRs": [.string(cidr)]]]
    }

    /// The node's status: capacity and allocatable, Ready and the pressure conditions (heartbeat
    /// `now`, unchanged since `since`), addresses and node info.
    public static func status(name: String, index: Int, capacity: [String: String], kubeletVersion: String, now: String,
                              since: String? = nil) -> JSON {
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSON {
            ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
             "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(since ?? now)]
        }
        return [
            "capacity": JSON(capacity), "allocatable": JSON(capacity),
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [["type": "InternalIP", "address": .string(internalIP(index))], ["type": "Hostname", "address": .string(name)]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
            "nodeInfo": ["machineID": .string(name), "systemUUID": .string(name), "bootID": .string(name),
                         "kernelVersion": "6.1.0-skiff-sim", "osImage": "Skiff simulated node",
                         "containerRuntimeVersion": "skiff-sim://0.1.0", "kubeletVersion": .string(kubeletVersion),
                         "kubeProxyVersion": .string(kubeletVersion), "operatingSystem": "linux", "architecture": "amd64"],
        ]
    }

    /// The node's Lease in `kube-node-lease`, owned by the Node.
    public static func lease(name: String, nodeUID: String?, durationSeconds: Int64, renewTime: String) -> JSON {
        var meta: JSON = ["name": .string(name), "namespace": "kube-node-lease"]
        if let uid = nodeUID {
            meta["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(name), "uid": .string(uid)]]
        }
        return ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
                "spec": ["holderIdentity": .string(name), "leaseDurationSeconds": .int(durationSeconds), "renewTime": .string(renewTime)]]
    }
}
