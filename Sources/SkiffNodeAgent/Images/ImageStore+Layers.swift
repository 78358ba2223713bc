#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// The layer directories of an image, bottom first, unpacking any not yet unpacked.
    ///
    /// Each layer's uncompressed content must hash to the config's `diff_ids` entry.
    /// Directories are named by chain ID, so images sharing a base share its directories.
    @discardableResult
    public func unpack(_ image: Image) throws -> [String] {
        let manifest = try manifest(image)
        let config = try config(image)
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageError(.invalidContent, "image \(image.name) has \(manifest.layers.count) layers but \(config.rootfs.diff_ids.count) diff IDs")
        }
        var dirs: [String] = []
        for (layer, chainID) in zip(manifest.layers, Self.chainIDs(config.rootfs.diff_ids)) {
            let dir = layerPath(chainID)
            if !FileIO.isDirectory(dir) {
                let diffID = config.rootfs.diff_ids[dirs.count]
                let tmp = root + "/layers/.tmp-\(UInt64.random(in: 0...UInt64.max))"
                do {
                    try FileIO.mkdirs(tmp)
                    try applyLayer(layer, diffID: diffID, to: tmp, mode: .overlay)
                    guard rename(tmp, dir) == 0 else { throw FileIO.errnoError("rename", tmp) }
                } catch {
                    try? FileIO.removeTree(tmp)
                    throw error
                }
            }
            dirs.append(dir)
        }
        return dirs
    }

    /// Unpacks one stored layer blob into `dir`, checking its uncompressed digest.
    func applyLayer(_ layer: Descriptor, diffID: String, to dir: String, mode: LayerUnpacker.Mode) throws {
        let hashing = HashingSource(try openMaybeCompressed(content.path(layer.digest)))
        try LayerUnpacker(root: dir, mode: mode).unpack(hashing)
        while !(try hashing.next()).isEmpty {}  // the tar's trailing blocks count toward the digest
        let actual = hashing.hasher.finalize()
        guard actual == diffID else {
            throw ImageError(.digestMismatch, "layer \(layer.digest): uncompressed content is \(actual), config says \(diffID)")
        }
    }

    func layerPath(_ chainID: String) -> String { root + "/layers/" + Digest.hex(chainID) }

    /// Chain IDs: the first is the first diff ID; each next is sha256("<previous> <diff ID>").
    static func chainIDs(_ diffIDs: [String]) -> [String] {
        var out: [String] = []
        for d in diffIDs {
            out.append(out.last.map { Digest.sha256(Array("\($0) \(d)".utf8)) } ?? d)
        }
        return out
    }
}
