extension ImageStore {
    /// Pulls `reference` from its registry: the manifest for the client's platform, its config
    /// and layers (each verified), then unpacks the layers and names the image.
    ///
    /// Blobs already present are not downloaded again. The name is recorded only once everything
    /// is stored and unpacked, so a failed pull leaves the previous image under that name.
    public func pull(_ reference: String, using client: RegistryClient) async throws -> Image {
        let ref = try ImageReference(parsing: reference)
        pullsInProgress += 1
        defer { pullsInProgress -= 1 }
        let resolved = try await client.resolve(ref)
        if let index = resolved.index { try content.write(index.bytes, expected: index.descriptor.digest) }
        try content.write(resolved.manifestBytes, expected: resolved.descriptor.digest)
        try await client.fetchBlob(ref, resolved.manifest.config, into: content)
        for layer in resolved.manifest.layers {
            try await client.fetchBlob(ref, layer, into: content)
        }
        let name = ref.description
        let image = Image(name: name, digest: resolved.descriptor.digest, mediaType: resolved.descriptor.mediaType, created: 0)
        _ = try unpack(image)
        return try record(name: name, digest: resolved.descriptor.digest, mediaType: resolved.descriptor.mediaType)
    }
}
