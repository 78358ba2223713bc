import NIOCore
import NIOHTTP1
import SkiffModel

extension KubeletServer {
    /// `GET /stats/summary` (`?only_cpu_and_memory=true`) and `GET /metrics/resource`, when the
    /// backend is a `KubeletStatsBackend`; false when the path is not one of them.
    func respondStats(_ target: KubeletRequestTarget, _ head: HTTPRequestHead, _ out: HTTPOutbound) async throws -> Bool {
        let s = target.segments
        guard s == ["stats", "summary"] || s == ["stats", "summary", ""] || s == ["metrics", "resource"] else { return false }
        guard let stats, let source = backend as? any KubeletStatsBackend else {
            throw KubeletStreamingError.notFound("404 page not found")
        }
        guard head.method == .GET || head.method == .HEAD || (s[0] == "stats" && head.method == .POST) else {
            throw KubeletStreamingError(status: 405, "405 method not allowed")
        }
        let summary = stats.summary(await source.statsInventory())
        if s[0] == "stats" {
            let only = target.first("only_cpu_and_memory") == "true"
            let body = summary.json(onlyCPUAndMemory: only).serialized(sortedKeys: false)
            try await writeBody(body, contentType: "application/json", head, out)
        } else {
            try await writeBody(Array(ResourceMetrics.text(summary).utf8), contentType: ResourceMetrics.contentType, head, out)
        }
        return true
    }

    func writeBody(_ body: [UInt8], contentType: String, _ head: HTTPRequestHead, _ out: HTTPOutbound) async throws {
        let headers: HTTPHeaders = ["Content-Type": contentType, "Content-Length": String(body.count)]
        try await out.write(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)))
        if head.method != .HEAD { try await out.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await out.write(.end(nil))
    }

    /// Samples CPU every `statsSamplingInterval` so that `usageNanoCores` is there at the first request.
    func runStatsSampler() async {
        guard let stats, let source = backend as? any KubeletStatsBackend else { return }
        while !Task.isCancelled {
            stats.sample(await source.statsInventory())
            do { try await Task.sleep(for: configuration.statsSamplingInterval) } catch { return }
        }
    }
}
