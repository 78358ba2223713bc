import Foundation

/// The node's images: content by digest, unpacked layers, a name → manifest digest index, and
/// container root file systems made from them.
///
/// Layout under `root`:
/// - `blobs/sha256/<hex>`: manifests, configs and compressed layers (`ContentStore`).
/// - `layers/<chain id hex>/`: one layer's files, unpacked once and shared read-only by every
///   container (whiteouts in overlayfs form).
/// - `images.json`: the name index, rewritten atomically on each change.
/// - `containers/<id>/`: a container's `rootfs` (and overlay `upper`/`work`), see `prepareRootfs`.
///
/// All state changes go through this actor. A pull in progress holds off content pruning.
public actor ImageStore {
    /// A named image: `name` is a normalized reference (`docker.io/library/busybox:latest`).
    public struct Image: Codable, Sendable, Hashable {
        public var name: String
        /// The manifest's digest: the image's identity.
        public var digest: String
        public var mediaType: String
        /// When it was pulled or imported, in seconds since 1970.
        public var created: Int64
    }

    public nonisolated let root: String
    public nonisolated let content: ContentStore
    var images: [String: Image] = [:]
    var pullsInProgress = 0

    /// Opens (or creates) the store at `root`, reading its index.
    public init(root: String) throws {
        self.root = root
        content = try ContentStore(root: root)
        try FileIO.mkdirs(root + "/layers")
        try FileIO.mkdirs(root + "/containers")
        let indexPath = root + "/images.json"
        if FileIO.exists(indexPath) {
            struct Index: Decodable { var images: [Image] }
            let index = try JSONCoding.decode(Index.self, try FileIO.readAll(indexPath), what: "image index \(indexPath)")
            images = Dictionary(index.images.map { ($0.name, $0) }) { $1 }
        }
    }

    /// Every named image, sorted by name.
    public func list() -> [Image] { images.values.sorted { $0.name < $1.name } }

    /// The image a reference names (`busybox` finds `docker.io/library/busybox:latest`), if present.
    public func image(_ reference: String) -> Image? {
        guard let ref = try? ImageReference(parsing: reference) else { return images[reference] }
        if let image = images[ref.description] { return image }
        if let digest = ref.digest { return images.values.first { $0.digest == digest } }
        return nil
    }

    /// Records `name` → `digest`, replacing what the name pointed to.
    func record(name: String, digest: String, mediaType: String) throws -> Image {
        let image = Image(name: name, digest: digest, mediaType: mediaType, created: Int64(Date().timeIntervalSince1970))
        images[name] = image
        try saveIndex()
        return image
    }

    /// Forgets a name; its content goes at the next `pruneContent`. Returns whether it existed.
    @discardableResult
    public func remove(_ reference: String) throws -> Bool {
        guard let image = image(reference) else { return false }
        images[image.name] = nil
        try saveIndex()
        return true
    }

    func saveIndex() throws {
        struct Index: Encodable { var images: [Image] }
        try FileIO.writeAtomically(root + "/images.json", try JSONCoding.encode(Index(images: list())))
    }

    /// The parsed manifest of an image.
    public func manifest(_ image: Image) throws -> Manifest {
        try JSONCoding.decode(Manifest.self, try content.read(image.digest), what: "manifest \(image.digest)")
    }

    /// The image's config: entrypoint, command, environment, working directory, user.
    public func config(_ image: Image) throws -> OCIImageConfig {
        let m = try manifest(image)
        return try JSONCoding.decode(OCIImageConfig.self, try content.read(m.config.digest), what: "image config \(m.config.digest)")
    }
}
