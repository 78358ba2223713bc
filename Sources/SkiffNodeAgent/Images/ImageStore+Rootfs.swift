#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// A container's root file system made from an image.
    public struct Rootfs: Sendable {
        /// The directory to use as the OCI bundle's `root.path`.
        public var path: String
        /// Whether it is an overlayfs mount (else a private copy of the layers).
        public var overlay: Bool
    }

    /// Makes `<root>/containers/<id>/rootfs` from `image`: an overlayfs mount with the image's
    /// layers as lower directories and a per-container `upper`/`work`, or, where overlayfs cannot
    /// be mounted (no kernel support, no privilege, the store itself on overlayfs), a copy made by
    /// applying the layers in order. Idempotent: an existing rootfs for `id` is returned as is.
    public func prepareRootfs(_ image: Image, containerID id: String) throws -> Rootfs {
        guard !id.isEmpty, !id.contains("/"), id != ".", id != ".." else { throw ImageError(.invalidContent, "bad container id \(id)") }
        let dir = root + "/containers/" + id
        let rootfs = dir + "/rootfs"
        if FileIO.exists(dir + "/image") {
            return Rootfs(path: rootfs, overlay: Self.isMountPoint(rootfs))
        }
        let layers = try unpack(image)
        try FileIO.mkdirs(rootfs)
        if !layers.isEmpty, try mountOverlay(layers: layers, dir: dir) {
            try FileIO.writeAtomically(dir + "/image", Array(image.digest.utf8))
            return Rootfs(path: rootfs, overlay: true)
        }
        let manifest = try manifest(image)
        let config = try config(image)
        do {
            for (layer, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
                try applyLayer(layer, diffID: diffID, to: rootfs, mode: .apply)
            }
        } catch {
            try? FileIO.removeTree(dir)
            throw error
        }
        try FileIO.writeAtomically(dir + "/image", Array(image.digest.utf8))
        return Rootfs(path: rootfs, overlay: false)
    }

    /// Unmounts and deletes a container's rootfs and writable layer. A missing one is not an error.
    public func removeRootfs(containerID id: String) throws {
        guard !id.isEmpty, !id.contains("/"), id != ".", id != ".." else { return }
        let dir = root + "/containers/" + id
        let rootfs = dir + "/rootfs"
        if Self.isMountPoint(rootfs) && umount2(rootfs, 0) != 0 {
            guard umount2(rootfs, Int32(MNT_DETACH)) == 0 else { throw FileIO.errnoError("umount", rootfs) }
        }
        try FileIO.removeTree(dir)
    }

    /// The image digests containers' root file systems are made from.
    func imagesInUse() throws -> Set<String> {
        var used = Set<String>()
        for id in try FileIO.list(root + "/containers") {
            if let bytes = try? FileIO.readAll(root + "/containers/\(id)/image") { used.insert(String(decoding: bytes, as: UTF8.self)) }
        }
        return used
    }

    func mountOverlay(layers: [String], dir: String) throws -> Bool {
        try FileIO.mkdirs(dir + "/upper")
        try FileIO.mkdirs(dir + "/work")
        let options = "lowerdir=\(layers.reversed().joined(separator: ":")),upperdir=\(dir)/upper,workdir=\(dir)/work"
        if mount("overlay", dir + "/rootfs", "overlay", 0, options) == 0 { return true }
        try FileIO.removeTree(dir + "/upper")
        try FileIO.removeTree(dir + "/work")
        return false
    }

    static func isMountPoint(_ path: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(path, &a) == 0, stat(path + "/..", &b) == 0 else { return false }
        return a.st_dev != b.st_dev
    }
}
