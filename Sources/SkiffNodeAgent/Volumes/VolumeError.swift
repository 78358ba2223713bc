/// An error preparing a Pod's volumes or a container's volume mounts.
///
/// `code` is stable; `message` is the kubelet's wording; `volume` names the volume when one is
/// at fault. `description` is then the kubelet's `FailedMount` event message:
/// `MountVolume.SetUp failed for volume "config" : configmap "app" not found`.
public struct VolumeError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Value: String, Sendable {
            case notFound, invalidVolume, invalidMount, unbound, unsupported, source, io
        }
        let value: Value

        /// A ConfigMap, Secret, key, PersistentVolumeClaim or PersistentVolume does not exist.
        public static let notFound = Code(value: .notFound)
        /// The volume's spec is wrong (bad item path, hostPath type mismatch, bad field path).
        public static let invalidVolume = Code(value: .invalidVolume)
        /// A container's volumeMount is wrong (unknown volume, bad subPath, missing variable).
        public static let invalidMount = Code(value: .invalidMount)
        /// A PersistentVolumeClaim is not bound to a volume.
        public static let unbound = Code(value: .unbound)
        /// A volume type or option Skiff does not implement.
        public static let unsupported = Code(value: .unsupported)
        /// Reading an object from the cluster failed (other than not found).
        public static let source = Code(value: .source)
        /// A file system or mount operation failed.
        public static let io = Code(value: .io)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The volume the error is about, if any.
    public var volume: String?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, volume: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.volume = volume
        self.cause = cause
    }

    /// The same error, attributed to `volume` (kept if already attributed).
    func about(_ volume: String) -> VolumeError {
        var e = self
        if e.volume == nil { e.volume = volume }
        return e
    }

    public var description: String {
        guard let volume else { return message }
        return "MountVolume.SetUp failed for volume \"\(volume)\" : \(message)"
    }
}
