extension ImageStore {
    /// What a garbage collection removed.
    public struct GCResult: Sendable {
        public var images: [String] = []
        public var blobs: [String] = []
        public var layers: [String] = []
    }

    /// Removes every image no container uses and whose name or digest is not in `keeping`, then
    /// prunes the content nothing references any more (kubelet's image garbage collection).
    public func garbageCollect(keeping: Set<String> = []) throws -> GCResult {
        let used = try imagesInUse()
        var removed: [String] = []
        for image in list() where !used.contains(image.digest) && !keeping.contains(image.name) && !keeping.contains(image.digest) {
            images[image.name] = nil
            removed.append(image.name)
        }
        if !removed.isEmpty { try saveIndex() }
        var result = try pruneContent()
        result.images = removed
        return result
    }

    /// Deletes blobs and layer directories that no named image and no container references.
    /// Does nothing while a pull is in progress (its blobs are not named yet).
    public func pruneContent() throws -> GCResult {
        guard pullsInProgress == 0 else { return GCResult() }
        var blobs = Set<String>(), layers = Set<String>()
        for digest in Set(images.values.map(\.digest)).union(try imagesInUse()) {
            guard content.has(digest) else { continue }
            blobs.insert(digest)
            let image = Image(name: digest, digest: digest, mediaType: "", created: 0)
            guard let m = try? manifest(image), let c = try? config(image) else { continue }
            blobs.insert(m.config.digest)
            for l in m.layers { blobs.insert(l.digest) }
            for id in Self.chainIDs(c.rootfs.diff_ids) { layers.insert(Digest.hex(id)) }
        }
        // Index blobs kept from pulls: keep those whose manifests are still referenced.
        var result = GCResult()
        for digest in try content.list() where !blobs.contains(digest) {
            if let bytes = try? content.read(digest), JSONCoding.mediaType(of: bytes).map(MediaType.isIndex) == true,
               let index = try? JSONCoding.decode(ImageIndex.self, bytes, what: "index"),
               index.manifests.contains(where: { blobs.contains($0.digest) }) {
                continue
            }
            try content.delete(digest)
            result.blobs.append(digest)
        }
        for name in try FileIO.list(root + "/layers") where !layers.contains(name) {
            try FileIO.removeTree(root + "/layers/" + name)
            result.layers.append(name)
        }
        return result
    }
}
