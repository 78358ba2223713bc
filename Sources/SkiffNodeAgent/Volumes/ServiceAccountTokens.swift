import Foundation
import SkiffModel
import Synchronization

/// Bound ServiceAccount tokens for projected volumes, cached per Pod and request as the
/// kubelet's token manager does: a token is fetched again once 80% of its lifetime has passed
/// or it is older than 24 hours, so re-projecting a volume does not mint a token every time.
final class ServiceAccountTokens: Sendable {
    struct Key: Hashable, Sendable {
        var podUID: String
        var namespace: String
        var serviceAccount: String
        var audiences: [String]
        var expirationSeconds: Int64
    }

    struct Entry: Sendable {
        var token: String
        var fetched: Date
        var expires: Date
    }

    static let maxAge: TimeInterval = 24 * 3600

    let entries = Mutex<[Key: Entry]>([:])

    func token(source: any VolumeObjectSource, key: Key, pod: JSON, now: Date = Date()) async throws -> String {
        if let e = entries.withLock({ $0[key] }), !Self.requiresRefresh(e, ttl: key.expirationSeconds, now: now) {
            return e.token
        }
        let token = try await source.serviceAccountToken(
            namespace: key.namespace, serviceAccount: key.serviceAccount, audiences: key.audiences,
            expirationSeconds: key.expirationSeconds, pod: pod)
        let expires = Self.expiry(of: token) ?? now.addingTimeInterval(TimeInterval(key.expirationSeconds))
        entries.withLock { $0[key] = Entry(token: token, fetched: now, expires: expires) }
        return token
    }

    func forget(podUID: String) {
        entries.withLock { $0 = $0.filter { $0.key.podUID != podUID } }
    }

    static func requiresRefresh(_ e: Entry, ttl: Int64, now: Date) -> Bool {
        if now.timeIntervalSince(e.fetched) > maxAge { return true }
        return now > e.expires.addingTimeInterval(-Double(ttl) * 0.2)
    }

    /// The `exp` claim of a JWT, if the token is one.
    static func expiry(of token: String) -> Date? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var b64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let claims = try? JSON.parse(Array(data)),
              let exp = claims["exp"]?.int else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(exp))
    }
}
