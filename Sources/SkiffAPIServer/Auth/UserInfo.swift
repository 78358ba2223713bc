import SkiffModel

/// An authenticated identity, as Kubernetes' `user.Info`.
public struct UserInfo: Sendable, Equatable {
    public var name: String
    public var uid: String
    public var groups: [String]
    /// Further attributes (`authentication.kubernetes.io/pod-name` and the like).
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// authentication.k8s.io/v1 `UserInfo`.
    public var json: JSON {
        var j: JSON = ["username": .string(name), "groups": .array(groups.map { .string($0) })]
        if !uid.isEmpty { j["uid"] = .string(uid) }
        if !extra.isEmpty { j["extra"] = .object(extra.mapValues { .array($0.map { .string($0) }) }) }
        return j
    }

    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
    public var isAnonymous: Bool { name == UserInfo.anonymous.name }
}

/// Maps bearer tokens to identities. Tokens are compared in constant time.
public struct TokenAuthenticator: Sendable {
    var tokens: [(token: [UInt8], user: UserInfo)]

    public init(tokens: [String: UserInfo]) {
        self.tokens = tokens.map { (Array($0.key.utf8), $0.value) }
    }

    /// The user a request's `Authorization: Bearer ...` header names, nil if none or unknown.
    public func authenticate(authorization: String?) -> UserInfo? {
        guard let header = authorization, header.lowercased().hasPrefix("bearer ") else { return nil }
        let presented = Array(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        for (token, user) in tokens where constantTimeEqual(token, presented) { return user }
        return nil
    }

    func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
