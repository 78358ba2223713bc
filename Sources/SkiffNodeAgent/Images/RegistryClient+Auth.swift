import Foundation
import SkiffClient

extension RegistryClient {
    /// Answers a `WWW-Authenticate` challenge for `ref`'s repository: fetches a bearer token, or
    /// uses the configured credential for Basic.
    func authenticate(_ ref: ImageReference, challenge: String) async throws {
        let scope = "\(ref.registry)/\(ref.repository)"
        let credential = configuration.credentials.credential(for: ref.registry)
        let (scheme, params) = Self.parseChallenge(challenge)
        switch scheme.lowercased() {
        case "basic":
            guard let credential else { throw ImageError(.unauthorized, "\(ref.registry) requires credentials") }
            authorizations[scope] = credential.basic
        case "bearer":
            guard let realm = params["realm"], var url = URLComponents(string: realm), let s = url.scheme, let h = url.host else {
                throw ImageError(.unauthorized, "\(ref.registry) sent a bearer challenge without a usable realm")
            }
            var query = url.queryItems ?? []
            if let service = params["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            query.append(URLQueryItem(name: "scope", value: params["scope"] ?? "repository:\(ref.repository):pull"))
            url.queryItems = query
            let host = url.port.map { "\(h):\($0)" } ?? h
            guard s == "https" || (s == "http" && (isInsecure(host) || isInsecure(ref.registry))) else {
                throw ImageError(.unauthorized, "refusing to fetch a token over plain HTTP from \(host)")
            }
            var headers: [String: String] = [:]
            if let credential { headers["authorization"] = credential.basic }
            let path = (url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath) + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
            let response = try await perform(scheme: s, host: host, TransportRequest(method: "GET", path: path, headers: headers))
            guard response.status == 200 else { throw statusError(response.status, response.body, "token from \(host)") }
            struct Token: Decodable { var token: String?; var access_token: String? }
            let token = try JSONCoding.decode(Token.self, response.body, what: "token response")
            guard let value = token.token ?? token.access_token, !value.isEmpty else {
                throw ImageError(.unauthorized, "token response from \(host) has no token")
            }
            authorizations[scope] = "Bearer \(value)"
        default:
            throw ImageError(.unauthorized, "\(ref.registry) refused the request (challenge \"\(challenge)\")")
        }
    }

    /// `Bearer realm="https://auth",service="registry",scope="repository:x:pull"` → scheme and parameters.
    static func parseChallenge(_ header: String) -> (String, [String: String]) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, [:]) }
        let scheme = String(trimmed[..<space])
        var params: [String: String] = [:]
        var rest = Substring(trimmed[trimmed.index(after: space)...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\", rest.count > 1 { rest = rest.dropFirst() }
                    value.append(rest.first!)
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            params[key] = value
        }
        return (scheme, params)
    }
}
