import Foundation
import NIOSSL
import SkiffClient

/// A client of the OCI distribution API v2: resolves a reference to a manifest for one platform
/// and downloads blobs into a `ContentStore`, verifying every digest.
///
/// Registries are reached over HTTPS, except those on loopback (as Docker allows) or listed in
/// `insecureRegistries`, which are spoken to over plain HTTP. Authentication follows the
/// registry's `WWW-Authenticate` challenge: `Bearer` fetches a token from the realm (sending the
/// credential, if any, as Basic auth) and caches it per repository; `Basic` sends the credential.
///
/// ```swift
/// let client = RegistryClient(configuration: .init(insecureRegistries: ["10.0.0.5:5000"]))
/// let resolved = try await client.resolve(try ImageReference(parsing: "127.0.0.1:5000/busybox:1"))
/// ```
public actor RegistryClient {
    public struct Configuration: Sendable {
        /// `HOST:PORT` of registries to reach over plain HTTP.
        public var insecureRegistries: Set<String>
        /// The platform chosen from an index. Default: the host's.
        public var platform: Platform
        public var credentials: RegistryCredentials
        /// Trust for HTTPS registries. Default: the system's roots.
        public var tls: TLSConfiguration

        public init(insecureRegistries: Set<String> = [], platform: Platform = .host,
                    credentials: RegistryCredentials = RegistryCredentials(), tls: TLSConfiguration = .makeClientConfiguration()) {
            self.insecureRegistries = insecureRegistries
            self.platform = platform
            self.credentials = credentials
            self.tls = tls
        }
    }

    /// A reference resolved to a manifest for the configured platform.
    public struct Resolved: Sendable {
        /// The manifest's own descriptor (its digest identifies the image).
        public var descriptor: Descriptor
        public var manifestBytes: [UInt8]
        public var manifest: Manifest
        /// The index the manifest was chosen from, if the reference named one.
        public var index: (descriptor: Descriptor, bytes: [UInt8])?
    }

    public let configuration: Configuration
    var transports: [String: HTTPTransport] = [:]
    /// `Authorization` values by `host/repository`.
    var authorizations: [String: String] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Fetches the manifest `ref` names; for an index, the entry for the configured platform.
    public func resolve(_ ref: ImageReference) async throws -> Resolved {
        let (first, firstBytes) = try await fetchManifest(ref, reference: ref.reference)
        if let expected = ref.digest, first.digest != expected {
            throw ImageError(.digestMismatch, "manifest of \(ref): expected \(expected), got \(first.digest)")
        }
        var descriptor = first, bytes = firstBytes
        var index: (Descriptor, [UInt8])?
        if MediaType.isIndex(first.mediaType) {
            let parsed = try JSONCoding.decode(ImageIndex.self, bytes, what: "image index")
            guard let chosen = parsed.manifest(for: configuration.platform) else {
                let available = parsed.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw ImageError(.notFound, "\(ref) has no image for \(configuration.platform) (it has: \(available))")
            }
            index = (first, firstBytes)
            (descriptor, bytes) = try await fetchManifest(ref, reference: chosen.digest)
            guard descriptor.digest == chosen.digest else {
                throw ImageError(.digestMismatch, "manifest of \(ref): expected \(chosen.digest), got \(descriptor.digest)")
            }
            descriptor.platform = chosen.platform
        }
        guard MediaType.isManifest(descriptor.mediaType) else {
            throw ImageError(.unsupported, "\(ref) has unsupported manifest type \(descriptor.mediaType)")
        }
        let manifest = try JSONCoding.decode(Manifest.self, bytes, what: "image manifest")
        return Resolved(descriptor: descriptor, manifestBytes: bytes, manifest: manifest, index: index)
    }

    /// `GET /v2/<repo>/manifests/<reference>`; the descriptor's digest is computed from the body
    /// (and checked when `reference` is a digest).
    public func fetchManifest(_ ref: ImageReference, reference: String) async throws -> (Descriptor, [UInt8]) {
        let path = "/v2/\(ref.repository)/manifests/\(reference)"
        let response = try await send(ref, path: path, accept: MediaType.manifestAccept)
        guard response.status == 200 else { throw statusError(response.status, response.body, "manifest \(ref.name):\(reference)") }
        let body = response.body
        let digest = Digest.sha256(body)
        if Digest.isValid(reference) && digest != reference {
            throw ImageError(.digestMismatch, "manifest \(ref.name)@\(reference): content hashes to \(digest)")
        }
        let headerType = response.headers["content-type"].map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) }
        let bodyType = JSONCoding.mediaType(of: body)
        let mediaType = bodyType ?? headerType ?? MediaType.ociManifest
        return (Descriptor(mediaType: mediaType, digest: digest, size: Int64(body.count)), body)
    }

    /// Downloads a blob into `store` unless it is already there, verifying size and digest.
    public func fetchBlob(_ ref: ImageReference, _ descriptor: Descriptor, into store: ContentStore) async throws {
        guard Digest.isValid(descriptor.digest) else { throw ImageError(.invalidContent, "invalid digest \(descriptor.digest)") }
        if store.has(descriptor.digest) { return }
        let stream = try await openBlob(ref, descriptor)
        do {
            try await store.ingest(descriptor, chunks: stream.body)
        } catch {
            stream.cancel()
            throw error
        }
    }

    /// Closes idle connections.
    public func shutdown() async {
        for t in transports.values { await t.shutdown() }
        transports = [:]
    }
}
