#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// Imports the images of an archive, for nodes without a registry (`skiff image import`).
    ///
    /// Accepts an OCI image layout (a directory with `oci-layout` and `index.json`, or a tar of
    /// one, as `skopeo copy ... oci-archive:` writes) and a `docker save` tar (`manifest.json`;
    /// also `skopeo copy ... docker-archive:`). Tars may be gzip-compressed. Every blob is
    /// verified against its digest and each layer against the config's diff ID.
    ///
    /// Names: a `docker save` archive's `RepoTags`; in an OCI layout, the
    /// `io.containerd.image.name` annotation, else `org.opencontainers.image.ref.name` (a full
    /// reference, or a bare tag appended to `baseName`). An image with no name is stored under
    /// `baseName` (if given) or its digest alone.
    public func importArchive(_ path: String, baseName: String? = nil) throws -> [Image] {
        if FileIO.isDirectory(path) { return try importDirectory(path, baseName: baseName) }
        let tmp = root + "/ingest/import-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileIO.removeTree(tmp) }
        try FileIO.mkdirs(tmp)
        try LayerUnpacker(root: tmp, mode: .apply).unpack(try openMaybeCompressed(path))
        return try importDirectory(tmp, baseName: baseName)
    }

    func importDirectory(_ dir: String, baseName: String?) throws -> [Image] {
        if FileIO.exists(dir + "/manifest.json") { return try importDockerSave(dir) }
        if FileIO.exists(dir + "/oci-layout") { return try importOCILayout(dir, baseName: baseName) }
        throw ImageError(.invalidContent, "not an image archive: neither manifest.json (docker save) nor oci-layout (OCI layout) found")
    }

    func importOCILayout(_ dir: String, baseName: String?) throws -> [Image] {
        let index = try JSONCoding.decode(ImageIndex.self, try FileIO.readAll(dir + "/index.json"), what: "index.json")
        var imported: [Image] = []
        for entry in index.manifests {
            var descriptor = entry
            try ingestLayoutBlob(dir, descriptor)
            if MediaType.isIndex(descriptor.mediaType) {
                let nested = try JSONCoding.decode(ImageIndex.self, try content.read(descriptor.digest), what: "image index")
                guard let chosen = nested.manifest(for: .host) ?? (nested.manifests.count == 1 ? nested.manifests.first : nil) else {
                    throw ImageError(.notFound, "archive index \(descriptor.digest) has no image for \(Platform.host)")
                }
                descriptor = chosen
                try ingestLayoutBlob(dir, descriptor)
            }
            guard MediaType.isManifest(descriptor.mediaType) else {
                throw ImageError(.unsupported, "archive entry \(descriptor.digest) has unsupported type \(descriptor.mediaType)")
            }
            let manifest = try JSONCoding.decode(Manifest.self, try content.read(descriptor.digest), what: "image manifest")
            try ingestLayoutBlob(dir, manifest.config)
            for layer in manifest.layers { try ingestLayoutBlob(dir, layer) }
            let name = Self.importName(entry.annotations ?? [:], baseName: baseName) ?? descriptor.digest
            let image = try record(name: name, digest: descriptor.digest, mediaType: descriptor.mediaType)
            try unpack(image)
            imported.append(image)
        }
        return imported
    }

    func ingestLayoutBlob(_ dir: String, _ descriptor: Descriptor) throws {
        guard Digest.isValid(descriptor.digest) else { throw ImageError(.invalidContent, "invalid digest \(descriptor.digest)") }
        try content.ingest(descriptor, file: dir + "/blobs/sha256/" + Digest.hex(descriptor.digest))
    }

    static func importName(_ annotations: [String: String], baseName: String?) -> String? {
        if let full = annotations["io.containerd.image.name"], let ref = try? ImageReference(parsing: full) { return ref.description }
        guard let refName = annotations["org.opencontainers.image.ref.name"] else {
            return baseName.flatMap { try? ImageReference(parsing: $0) }?.description
        }
        if ImageReference.isValidTag(refName), let base = baseName,
           let ref = try? ImageReference(parsing: base + ":" + refName) {
            return ref.description
        }
        return (try? ImageReference(parsing: refName))?.description
    }

    /// `docker save`: `manifest.json` lists each image's config file, layer tars and tags.
    func importDockerSave(_ dir: String) throws -> [Image] {
        struct Entry: Decodable { var Config: String; var RepoTags: [String]?; var Layers: [String] }
        let entries = try JSONCoding.decode([Entry].self, try FileIO.readAll(dir + "/manifest.json"), what: "manifest.json")
        var imported: [Image] = []
        for entry in entries {
            let configBytes = try FileIO.readAll(try Self.inside(dir, entry.Config))
            let configDigest = try content.write(configBytes)
            let config = try JSONCoding.decode(OCIImageConfig.self, configBytes, what: "image config")
            guard config.rootfs.diff_ids.count == entry.Layers.count else {
                throw ImageError(.invalidContent, "\(entry.Config) lists \(config.rootfs.diff_ids.count) diff IDs for \(entry.Layers.count) layers")
            }
            var layers: [Descriptor] = []
            for file in entry.Layers {
                let path = try Self.inside(dir, file)
                let digest = try Self.digestOfFile(path)
                var st = stat()
                guard stat(path, &st) == 0 else { throw FileIO.errnoError("stat", path) }
                let compressed = isGzip(try FileReader(path: path).read(max: 2))
                let descriptor = Descriptor(mediaType: compressed ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar",
                                            digest: digest, size: Int64(st.st_size))
                try content.ingest(descriptor, file: path)
                layers.append(descriptor)
            }
            let manifest = Manifest(schemaVersion: 2, mediaType: MediaType.ociManifest,
                                    config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configBytes.count)),
                                    layers: layers)
            let manifestBytes = try JSONCoding.encode(manifest)
            let digest = try content.write(manifestBytes)
            let names = (entry.RepoTags ?? []).compactMap { try? ImageReference(parsing: $0) }.map(\.description)
            var image = Image(name: digest, digest: digest, mediaType: MediaType.ociManifest, created: 0)
            try unpack(image)
            for name in names.isEmpty ? [digest] : names {
                image = try record(name: name, digest: digest, mediaType: MediaType.ociManifest)
                imported.append(image)
            }
        }
        return imported
    }

    /// `dir/relative`, refusing paths that leave `dir`.
    static func inside(_ dir: String, _ relative: String) throws -> String {
        let parts = relative.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains(".."), !relative.hasPrefix("/") else {
            throw ImageError(.invalidContent, "archive path \(relative) leaves the archive")
        }
        return dir + "/" + parts.joined(separator: "/")
    }

    static func digestOfFile(_ path: String) throws -> String {
        let reader = try FileReader(path: path)
        var hasher = Hasher()
        while true {
            let chunk = try reader.read()
            if chunk.isEmpty { return hasher.finalize() }
            hasher.update(chunk)
        }
    }
}
