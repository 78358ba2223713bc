import Foundation
import SkiffModel

extension NodeAgent {
    /// After the Pod informer synced: containers in the runtime whose Pod is still bound here
    /// and which still run are kept for their Pod's worker to adopt; everything else (stopped
    /// containers, containers and sandboxes of Pods that are gone) is removed.
    func adoptOrRemove() async {
        var keep: [String: [ContainerID]] = [:]
        let current = Set(pods.lister.list().compactMap { $0["metadata", "uid"]?.string })
        let containers: [ContainerState]
        do { containers = try await runtime.list() } catch {
            logger.error("listing runtime containers failed", metadata: ["error": "\(error)"])
            containers = []
        }
        for st in containers {
            guard let cid = ContainerID(st.id) else { continue }  // not the agent's
            if current.contains(cid.podUID) && (st.status == "running" || st.status == "paused") {
                keep[cid.podUID, default: []].append(cid)
                continue
            }
            logger.info("removing container", metadata: ["id": "\(st.id)", "status": "\(st.status)",
                                                         "reason": "\(current.contains(cid.podUID) ? "not running" : "pod gone")"])
            try? await runtime.kill(id: st.id, signal: SIGKILL)
            do { try await runtime.delete(id: st.id) } catch {
                logger.warning("container delete failed", metadata: ["id": "\(st.id)", "error": "\(error)"])
            }
            try? await images.removeRootfs(containerID: st.id)
        }
        // Root file systems left without a container (the agent stopped half way).
        let known = Set(containers.map(\.id))
        for dir in FileSystem.list(images.root + "/containers") {
            guard let cid = ContainerID(dir), !known.contains(dir) || !current.contains(cid.podUID) else { continue }
            try? await images.removeRootfs(containerID: dir)
        }
        for uid in FileSystem.list(podsDir) where !current.contains(uid) {
            logger.info("removing pod directory", metadata: ["uid": "\(uid)"])
            if Namespaces.isPinned(podDir(uid) + "/ns/net") {
                try? await network.tearDown(pod: ["metadata": ["uid": .string(uid)]], netnsPath: podDir(uid) + "/ns/net")
            }
            do { try await volumes.tearDown(pod: ["metadata": ["uid": .string(uid)]], podDir: podDir(uid)) } catch {
                logger.warning("volume teardown failed", metadata: ["uid": "\(uid)", "error": "\(error)"])
            }
            PodSandbox.remove(podDir: podDir(uid))
            PodCgroups.removePod(podUID: uid)
            FileSystem.removeTree(podDir(uid))
        }
        adopted.withLock { $0 = keep }
    }
}
