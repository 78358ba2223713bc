import Foundation

/// Media types of manifests, indexes, configs and layers, OCI and Docker schema 2.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"

    /// What a pull sends as `Accept` for a manifest.
    public static let manifestAccept = [ociManifest, dockerManifest, ociIndex, dockerManifestList].joined(separator: ", ")

    static func isIndex(_ t: String?) -> Bool { t == ociIndex || t == dockerManifestList }
    static func isManifest(_ t: String?) -> Bool { t == ociManifest || t == dockerManifest }
}

/// A pointer to content: its media type, digest and size.
public struct Descriptor: Codable, Sendable, Hashable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?

    public init(mediaType: String, digest: String, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// An OS and architecture an image was built for.
public struct Platform: Codable, Sendable, Hashable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(os: String = "linux", architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// The machine Skiff runs on, in Go's architecture names (`amd64`, `arm64`).
    public static var host: Platform {
        #if arch(x86_64)
        return Platform(architecture: "amd64")
        #elseif arch(arm64)
        return Platform(architecture: "arm64", variant: "v8")
        #else
        return Platform(architecture: "unknown")
        #endif
    }

    /// Whether an index entry for `other` can run here (variant checked only when both name one).
    public func matches(_ other: Platform) -> Bool {
        guard os == other.os, architecture == other.architecture else { return false }
        if let v = variant, let w = other.variant { return v == w }
        return true
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}

/// An image manifest (OCI or Docker schema 2): one config and the layers, bottom first.
public struct Manifest: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
}

/// An image index or Docker manifest list: one manifest per platform.
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]

    /// The manifest for `platform`, preferring an exact variant match.
    public func manifest(for platform: Platform) -> Descriptor? {
        let candidates = manifests.filter { $0.platform.map(platform.matches) ?? false }
        return candidates.first { $0.platform?.variant == platform.variant } ?? candidates.first
    }
}

/// An OCI image config document (the parts Skiff reads).
public struct OCIImageConfig: Codable, Sendable {
    public struct Config: Codable, Sendable {
        public var User: String?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var WorkingDir: String?
        public var StopSignal: String?
        public var Labels: [String: String]?
    }
    public struct RootFS: Codable, Sendable {
        public var type: String
        public var diff_ids: [String]
    }

    public var architecture: String?
    public var os: String?
    public var config: Config?
    public var rootfs: RootFS

    public var user: String? { config?.User.flatMap { $0.isEmpty ? nil : $0 } }
    public var env: [String] { config?.Env ?? [] }
    public var entrypoint: [String] { config?.Entrypoint ?? [] }
    public var cmd: [String] { config?.Cmd ?? [] }
    public var workingDir: String? { config?.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } }

    /// What a container started from this image inherits.
    public var containerDefaults: ImageConfig {
        ImageConfig(entrypoint: entrypoint, cmd: cmd, env: env, workingDir: workingDir ?? "", user: user ?? "")
    }
}

enum JSONCoding {
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw ImageError(.invalidContent, "malformed \(what)", cause: error)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array(try e.encode(value))
    }

    /// The `mediaType` field of a manifest or index, if it has one.
    static func mediaType(of bytes: [UInt8]) -> String? {
        struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]?; var config: Descriptor? }
        guard let p = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) else { return nil }
        if let t = p.mediaType { return t }
        if p.manifests != nil { return MediaType.ociIndex }
        if p.config != nil { return MediaType.ociManifest }
        return nil
    }
}
