import SkiffModel

extension NodeAgent {
    /// The kubelet's image garbage collection: when the data directory's file system is fuller
    /// than `imageGCHighThresholdPercent`, removes the images no container uses and no Pod on
    /// this node names.
    func collectImages() async {
        let m = NodeStatus.measure(dataDir: configuration.dataDir, maxPods: configuration.maxPods)
        guard m.diskBytes > 0 else { return }
        let used = Double(m.diskBytes - m.diskAvailableBytes) / Double(m.diskBytes) * 100
        guard used >= Double(configuration.imageGCHighThresholdPercent) else { return }
        var keep = Set<String>()
        for pod in pods.lister.list() {
            let containers = (pod["spec", "initContainers"]?.array ?? []) + (pod["spec", "containers"]?.array ?? [])
            for c in containers {
                if let image = c["image"]?.string, let ref = try? ImageReference(parsing: image) { keep.insert(ref.description) }
            }
        }
        do {
            let result = try await images.garbageCollect(keeping: keep)
            logger.info("image garbage collection", metadata: ["diskUsedPercent": "\(Int(used))", "images": "\(result.images)",
                                                              "blobs": "\(result.blobs.count)", "layers": "\(result.layers.count)"])
        } catch {
            logger.warning("image garbage collection failed", metadata: ["error": "\(error)"])
        }
    }
}
