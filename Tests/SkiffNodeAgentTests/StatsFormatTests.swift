import Foundation
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The Summary JSON and the `/metrics/resource` text, as the kubelet writes them.
@Suite struct StatsFormatTests {
    static let t = 1_700_000_000.25

    static func summary() -> StatsSummary {
        let mem = CgroupReader.Memory(usageBytes: 60_000_000, workingSetBytes: 52_428_800, rssBytes: 52_000_000,
                                      pageFaults: 10, majorPageFaults: 1, limitBytes: nil)
        let cpu = StatsSummary.CPU(time: t, usageNanoCores: 250_000_000, usageCoreNanoSeconds: 1_500_000_000)
        let c = StatsSummary.Container(name: "main", startTime: 1_699_999_990, cpu: cpu, memory: .init(time: t, mem))
        let other = StatsSummary.Container(name: "a-side", startTime: 1_699_999_995, cpu: nil, memory: nil)
        let node = StatsSummary.Node(
            nodeName: "node-1", startTime: 1_690_000_000, systemContainers: [],
            cpu: .init(time: t, usageNanoCores: nil, usageCoreNanoSeconds: 123_456_789_000_000),
            memory: .init(time: t, mem, available: 1000),
            fs: .init(time: t, usage: FsUsage(capacityBytes: 100, availableBytes: 40, usedBytes: 60, inodes: 10, inodesFree: 4, inodesUsed: 6)),
            imageFs: .init(time: t, usage: FsUsage(capacityBytes: 100, availableBytes: 40, usedBytes: 5, inodes: 10, inodesFree: 4, inodesUsed: 2)),
            rlimit: (t, 4_194_304, 300))
        return StatsSummary(node: node, pods: [
            .init(podRef: .init(name: "web", namespace: "default", uid: "u1"), startTime: 1_699_999_980,
                  containers: [c, other], cpu: cpu, memory: .init(time: t, mem)),
        ])
    }

    @Test func summaryJSONHasTheKubeletsFields() throws {
        let j = Self.summary().json()
        let n = try #require(j["node"])
        #expect(n["nodeName"] == "node-1")
        #expect(n["startTime"] == "2023-07-22T04:26:40Z")
        #expect(n["cpu", "time"] == "2023-11-14T22:13:20Z")
        #expect(n["cpu", "usageCoreNanoSeconds"]?.int == 123_456_789_000_000)
        #expect(n["cpu", "usageNanoCores"] == nil)
        #expect(n["memory", "availableBytes"]?.int == 1000 && n["memory", "workingSetBytes"]?.int == 52_428_800)
        #expect(n["memory", "rssBytes"]?.int == 52_000_000 && n["memory", "pageFaults"]?.int == 10 && n["memory", "majorPageFaults"]?.int == 1)
        #expect(n["fs", "capacityBytes"]?.int == 100 && n["fs", "inodesUsed"]?.int == 6)
        #expect(n["runtime", "imageFs", "usedBytes"]?.int == 5)
        #expect(n["rlimit", "maxpid"]?.int == 4_194_304 && n["rlimit", "curproc"]?.int == 300)
        let p = try #require(j["pods"]?.array?.first)
        #expect(p["podRef"] == ["name": "web", "namespace": "default", "uid": "u1"])
        let cs = try #require(p["containers"]?.array)
        #expect(cs[0]["name"] == "main" && cs[0]["cpu", "usageNanoCores"]?.int == 250_000_000)
        #expect(cs[0]["memory", "workingSetBytes"] != nil && cs[0]["memory", "availableBytes"] == nil)  // no limit
        #expect(cs[1]["name"] == "a-side" && cs[1]["cpu"] == nil)
        #expect(p["memory", "usageBytes"]?.int == 60_000_000)
        // It parses back as JSON.
        #expect(try JSON.parse(j.serializedString()) == j)
    }

    @Test func onlyCPUAndMemoryLeavesOutFileSystems() {
        let n = Self.summary().json(onlyCPUAndMemory: true)["node"]
        #expect(n?["fs"] == nil && n?["runtime"] == nil && n?["rlimit"] == nil)
        #expect(n?["cpu"] != nil && n?["memory"] != nil)
    }

    @Test func resourceMetricsAreTheKubeletsText() {
        let ms = String(Int64(Self.t * 1000))
        #expect(ResourceMetrics.text(Self.summary()) == """
        # HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
        # TYPE container_cpu_usage_seconds_total counter
        container_cpu_usage_seconds_total{container="main",namespace="default",pod="web"} 1.5 \(ms)
        # HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes
        # TYPE container_memory_working_set_bytes gauge
        container_memory_working_set_bytes{container="main",namespace="default",pod="web"} 5.24288e+07 \(ms)
        # HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds
        # TYPE container_start_time_seconds gauge
        container_start_time_seconds{container="a-side",namespace="default",pod="web"} 1.699999995e+09
        container_start_time_seconds{container="main",namespace="default",pod="web"} 1.69999999e+09
        # HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds
        # TYPE node_cpu_usage_seconds_total counter
        node_cpu_usage_seconds_total 123456.789 \(ms)
        # HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes
        # TYPE node_memory_working_set_bytes gauge
        node_memory_working_set_bytes 5.24288e+07 \(ms)
        # HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds
        # TYPE pod_cpu_usage_seconds_total counter
        pod_cpu_usage_seconds_total{namespace="default",pod="web"} 1.5 \(ms)
        # HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes
        # TYPE pod_memory_working_set_bytes gauge
        pod_memory_working_set_bytes{namespace="default",pod="web"} 5.24288e+07 \(ms)
        # HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
        # TYPE resource_scrape_error gauge
        resource_scrape_error 0

        """)
    }

    @Test func aFailedScrapeSaysSo() {
        #expect(ResourceMetrics.text(nil) == """
        # HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise
        # TYPE resource_scrape_error gauge
        resource_scrape_error 1

        """)
    }

    @Test(arguments: [
        (0.0, "0"), (1.0, "1"), (-1.0, "-1"), (1.5, "1.5"), (123456.0, "123456"), (1_000_000.0, "1e+06"),
        (12_345_678.0, "1.2345678e+07"), (0.0001, "0.0001"), (0.00001, "1e-05"), (0.000123, "0.000123"),
        (1e21, "1e+21"), (1.25e-7, "1.25e-07"), (123.456, "123.456"), (9_007_199_254_740_993.0, "9.007199254740992e+15"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
    ])
    func formatsFloatsAsGo(value: Double, text: String) {
        #expect(ResourceMetrics.goFloat(value) == text)
    }

    @Test func escapesLabelValues() {
        #expect(ResourceMetrics.escapeLabel("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
