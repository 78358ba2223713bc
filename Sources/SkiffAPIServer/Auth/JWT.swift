import Crypto
import Foundation
import SkiffModel

/// Compact JSON Web Signatures with ES256 (ECDSA P-256, SHA-256), the form of Kubernetes'
/// ServiceAccount tokens: `base64url(header).base64url(claims).base64url(r || s)`.
enum JWT {
    enum Failure: Error, Equatable {
        /// Not three base64url parts holding JSON objects.
        case malformed
        /// A header `alg` other than ES256.
        case unsupportedAlgorithm(String)
        /// The signature does not match the key.
        case badSignature
    }

    /// Signs `claims` with `key`; `keyID` goes into the header's `kid`.
    static func sign(_ claims: JSON, key: P256.Signing.PrivateKey, keyID: String) throws -> String {
        let header: JSON = ["alg": "ES256", "kid": .string(keyID)]
        let input = base64URL(header.serialized(sortedKeys: true)) + "." + base64URL(claims.serialized(sortedKeys: true))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + base64URL(Array(signature.rawRepresentation))
    }

    /// The header and claims of a token, unverified: for telling tokens apart.
    static func decode(_ token: String) throws(Failure) -> (header: JSON, claims: JSON) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = base64URLDecode(parts[0]), let c = base64URLDecode(parts[1]),
              let header = try? JSON.parse(h), header.object != nil,
              let claims = try? JSON.parse(c), claims.object != nil else { throw .malformed }
        return (header, claims)
    }

    /// The claims of a token whose ES256 signature `key` made.
    static func verify(_ token: String, key: P256.Signing.PublicKey) throws(Failure) -> JSON {
        let (header, claims) = try decode(token)
        guard header["alg"]?.string == "ES256" else { throw .unsupportedAlgorithm(header["alg"]?.string ?? "") }
        guard let dot = token.lastIndex(of: "."), let raw = base64URLDecode(token[token.index(after: dot)...]),
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else { throw .badSignature }
        guard key.isValidSignature(signature, for: Array(token[..<dot].utf8)) else { throw .badSignature }
        return claims
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: some StringProtocol) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if s.count % 4 == 1 { return nil }
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }
}
