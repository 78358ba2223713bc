import SkiffModel
import SkiffStorage

/// Hands out values from a range (Service cluster IPs, node ports) with one backend key per
/// value, so that two writers, even two API servers on one store, never hand out the same one.
/// Keys live under `/skiff/allocations/`, outside what the watch cache serves.
public struct Allocator: Sendable {
    public let name: String
    let range: ClosedRange<UInt32>
    let format: @Sendable (UInt32) -> String
    let parse: @Sendable (String) -> UInt32?

    public init(name: String, range: ClosedRange<UInt32>, format: @escaping @Sendable (UInt32) -> String, parse: @escaping @Sendable (String) -> UInt32?) {
        self.name = name
        self.range = range
        self.format = format
        self.parse = parse
    }

    func key(_ value: UInt32) -> String { "/skiff/allocations/\(name)/\(format(value))" }

    public func contains(_ text: String) -> Bool { parse(text).map(range.contains) ?? false }

    /// Reserves `text` if given (failing if it is taken or outside the range), else any free value.
    public func allocate(_ text: String?, in backend: any StorageBackend, owner: String) async throws(AllocationError) -> String {
        if let text {
            guard let v = parse(text), range.contains(v) else { throw .outOfRange }
            do {
                _ = try await backend.create(key(v), value: Array(owner.utf8))
                return text
            } catch StorageError.keyExists {
                throw .taken
            } catch {
                throw .failed("\(error)")
            }
        }
        let size = UInt64(range.upperBound - range.lowerBound) + 1
        let start = UInt64.random(in: 0..<size)
        for i in 0..<size {
            let v = range.lowerBound + UInt32((start + i) % size)
            do {
                _ = try await backend.create(key(v), value: Array(owner.utf8))
                return format(v)
            } catch StorageError.keyExists {
                continue
            } catch {
                throw .failed("\(error)")
            }
        }
        throw .full
    }

    /// Returns a value to the range; releasing a free value is harmless.
    public func release(_ text: String, in backend: any StorageBackend) async {
        guard let v = parse(text), range.contains(v) else { return }
        _ = try? await backend.delete(key(v), expectedRevision: nil)
    }

    public enum AllocationError: Error, Sendable {
        case outOfRange, taken, full, failed(String)
    }
}

extension Allocator {
    /// IPv4 addresses of a CIDR, without its network and broadcast addresses.
    public static func ipv4(name: String, cidr: String) -> Allocator? {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = UInt32(parts[1]), bits >= 8, bits <= 30, let base = parseIPv4(String(parts[0])) else { return nil }
        let size = UInt32(1) << (32 - bits)
        let network = base & ~(size - 1)
        return Allocator(name: name, range: (network + 1)...(network + size - 2),
                         format: formatIPv4, parse: parseIPv4)
    }

    public static func parseIPv4(_ s: String) -> UInt32? {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    public static func formatIPv4(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
    }

    /// The first address of a CIDR after the network address (the `kubernetes` Service's).
    public static func firstIPv4(_ cidr: String) -> String? {
        guard let base = parseIPv4(String(cidr.split(separator: "/").first ?? "")),
              let bits = UInt32(cidr.split(separator: "/").last ?? ""), bits <= 30 else { return nil }
        return formatIPv4((base & ~((UInt32(1) << (32 - bits)) - 1)) + 1)
    }

    public static func ports(name: String, range: ClosedRange<UInt32>) -> Allocator {
        Allocator(name: name, range: range, format: { String($0) }, parse: { UInt32($0) })
    }
}

/// The ranges the server allocates from, and where it keeps the reservations.
public struct Allocators: Sendable {
    public var backend: any StorageBackend
    public var serviceIPs: Allocator
    public var nodePorts: Allocator
    /// The CIDR cluster IPs come from (`--service-cluster-ip-range`).
    public var serviceCIDR: String

    public init(backend: any StorageBackend, serviceCIDR: String = "10.43.0.0/16", nodePorts: ClosedRange<UInt32> = 30000...32767) {
        self.backend = backend
        self.serviceCIDR = serviceCIDR
        serviceIPs = Allocator.ipv4(name: "serviceips", cidr: serviceCIDR) ?? Allocator.ipv4(name: "serviceips", cidr: "10.43.0.0/16")!
        self.nodePorts = Allocator.ports(name: "nodeports", range: nodePorts)
    }
}
