import SkiffModel

extension APIServer {
    /// `/healthz`, `/livez`, `/readyz` (and `/<endpoint>/<check>`), as kube-apiserver answers:
    /// `ok`, or with `?verbose` one `[+]name ok` line per check and `<endpoint> check passed`.
    func health(_ request: Request, _ segs: [String]) async -> Response {
        let endpoint = segs[0]
        var checks: [(String, Bool)] = [("ping", true), ("log", true)]
        let storeOK = (try? await store.backend.currentRevision()) != nil
        checks.append(("etcd", storeOK))
        if endpoint == "readyz" { checks.append(("informer-sync", ready.isSet)) }
        if segs.count > 1 {
            guard let check = checks.first(where: { $0.0 == segs[1] }) else { return .error(.pathNotFound()) }
            return check.1 ? .text("ok") : .text("internal server error: \(check.0) failed\n", status: .internalServerError)
        }
        let excluded = Set((request.query["exclude"] ?? "").split(separator: ",").map(String.init))
        checks.removeAll { excluded.contains($0.0) }
        let passed = checks.allSatisfy(\.1)
        let verbose = request.query["verbose"] != nil
        if passed && !verbose { return .text("ok") }
        var lines = checks.map { $0.1 ? "[+]\($0.0) ok" : "[-]\($0.0) failed: reason withheld" }
        for e in excluded.sorted() { lines.append("[+]\(e) excluded: ok") }
        lines.append(passed ? "\(endpoint) check passed" : "\(endpoint) check failed")
        return .text(lines.joined(separator: "\n") + "\n", status: passed ? .ok : .internalServerError)
    }
}
