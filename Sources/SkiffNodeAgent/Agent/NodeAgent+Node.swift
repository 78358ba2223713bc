import Foundation
import SkiffClient
import SkiffModel

extension NodeAgent {
    /// `runc://<version>` from `runc --version`.
    func runcVersion() async -> String {
        guard let (status, out, _) = try? await runtime.capture(["--version"]), status == 0 else { return "runc://unknown" }
        let first = String(decoding: out, as: UTF8.self).split(separator: "\n").first ?? ""
        return "runc://" + (first.split(separator: " ").last.map(String.init) ?? "unknown")
    }

    /// Creates the Node (or takes over the existing one) and writes its status.
    func register(runtimeVersion: String) async throws {
        let name = configuration.nodeName
        let arch = NodeStatus.architecture
        var labels = ["kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
                      "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch]
        for (k, v) in configuration.labels { labels[k] = v }
        var node: JSON = ["apiVersion": "v1", "kind": "Node",
                          "metadata": ["name": .string(name), "labels": JSON(labels),
                                       "annotations": ["node.alpha.kubernetes.io/ttl": "0"]]]
        if let first = configuration.podCIDRs.first {
            node["spec"] = ["podCIDR": .string(first), "podCIDRs": .array(configuration.podCIDRs.map { .string($0) })]
        }
        var current: JSON
        do {
            current = try await client.create(.nodes, node)
            logger.info("node registered", metadata: ["node": "\(name)"])
        } catch let e as APIError where e.isAlreadyExists {
            current = try await client.patch(.nodes, name: name, type: .merge, ["metadata": ["labels": JSON(labels)]])
        }
        nodeUID.withLock { $0 = current["metadata", "uid"]?.string }
        try await writeNodeStatus(runtimeVersion: runtimeVersion, previous: current["status", "conditions"]?.array ?? [])
    }

    func writeNodeStatus(runtimeVersion: String, previous: [JSON]) async throws {
        let measured = NodeStatus.measure(dataDir: configuration.dataDir, maxPods: configuration.maxPods)
        let now = Timestamp.format(Timestamp.now())
        let status: JSON = [
            "capacity": measured.capacity, "allocatable": measured.allocatable,
            "conditions": .array(measured.conditions(previous: previous, now: now)),
            "addresses": [["type": "InternalIP", "address": .string(nodeIP)], ["type": "Hostname", "address": .string(configuration.nodeName)]],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(configuration.kubeletPort))]],
            "nodeInfo": NodeStatus.nodeInfo(runtimeVersion: runtimeVersion, kubeletVersion: configuration.kubeletVersion),
        ]
        _ = try await client.patch(.nodes, name: configuration.nodeName, type: .merge, ["status": status], subresource: "status")
    }

    func heartbeat(runtimeVersion: String) async {
        do {
            let node = try await client.get(.nodes, name: configuration.nodeName)
            try await writeNodeStatus(runtimeVersion: runtimeVersion, previous: node["status", "conditions"]?.array ?? [])
        } catch let e as APIError where e.isNotFound {
            // Deleted while running: register again, as the kubelet does.
            try? await register(runtimeVersion: runtimeVersion)
        } catch {
            logger.warning("node status update failed", metadata: ["error": "\(error)"])
        }
    }

    /// Renews (or creates) the node's Lease in `kube-node-lease`.
    func renewLease() async {
        let name = configuration.nodeName
        let now = Timestamp.formatMicro(Timestamp.now())
        let spec: JSON = ["holderIdentity": .string(name), "leaseDurationSeconds": .int(configuration.leaseDurationSeconds),
                          "renewTime": .string(now)]
        do {
            _ = try await client.patch(.leases, namespace: "kube-node-lease", name: name, type: .merge, ["spec": spec])
        } catch let e as APIError where e.isNotFound {
            var meta: JSON = ["name": .string(name), "namespace": "kube-node-lease"]
            if let uid = nodeUID.withLock({ $0 }) {
                meta["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(name), "uid": .string(uid)]]
            }
            let lease: JSON = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": spec]
            do { _ = try await client.create(.leases, namespace: "kube-node-lease", lease) } catch {
                logger.warning("lease create failed", metadata: ["error": "\(error)"])
            }
        } catch {
            logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
        }
    }

    /// Allocatable as quantities (the default limits for `resourceFieldRef`).
    func allocatable() -> [String: Quantity] {
        let measured = NodeStatus.measure(dataDir: configuration.dataDir, maxPods: configuration.maxPods)
        var out: [String: Quantity] = [:]
        for (k, v) in measured.allocatable.members { if let s = v.string, let q = try? Quantity(s) { out[k] = q } }
        return out
    }
}
