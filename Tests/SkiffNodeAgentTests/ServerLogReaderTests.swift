import Foundation
import Glibc
import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The CRI log reader behind `GET /containerLogs`: parsing, partial lines, tail, since,
/// timestamps, limitBytes and follow, as the kubelet's `ReadLogs`.
@Suite struct ServerLogReaderTests {
    static let log = """
    2026-11-28T10:00:00.1Z stdout F one
    2026-11-28T10:00:01.000000002Z stderr F two
    2026-11-28T10:00:02Z stdout P thr
    2026-11-28T10:00:02.5Z stdout P e
    2026-11-28T10:00:03Z stdout F e
    2026-11-28T10:00:04Z stdout F four

    """

    /// Reads `text` as a log file with `options` (no follow unless asked).
    static func read(_ text: String, _ options: LogOptions, isRunning: @escaping @Sendable () -> Bool = { false }) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-log-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fd = try CRILogReader.open(path)
        defer { close(fd) }
        var out: [UInt8] = []
        await CRILogReader.stream(fd: fd, options: options, pollInterval: .milliseconds(5), isRunning: { isRunning() }) { bytes in
            out += bytes
            return true
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func parsesEntries() throws {
        let e = try #require(CRILogEntry.parse(Array("2026-11-28T10:00:02.5Z stderr P half a line".utf8)[...]))
        #expect(e.timestamp == "2026-11-28T10:00:02.5Z")
        #expect(e.stream == "stderr")
        #expect(e.partial)
        #expect(String(decoding: e.text, as: UTF8.self) == "half a line")
        #expect(e.time == Timestamp.parse("2026-11-28T10:00:02.5Z"))
        let empty = try #require(CRILogEntry.parse(Array("2026-11-28T10:00:02Z stdout F ".utf8)[...]))
        #expect(empty.text.isEmpty && !empty.partial)
        #expect(CRILogEntry.parse(Array("garbage".utf8)[...]) == nil)
        #expect(CRILogEntry.parse(Array("2026-11-28T10:00:02Z stdout X text".utf8)[...]) == nil)
    }

    @Test func joinsPartialLines() async throws {
        #expect(try await Self.read(Self.log, LogOptions()) == "one\ntwo\nthree\nfour\n")
    }

    @Test func timestampsPrefixEachLineOnce() async throws {
        let out = try await Self.read(Self.log, LogOptions(timestamps: true))
        #expect(out == """
        2026-11-28T10:00:00.1Z one
        2026-11-28T10:00:01.000000002Z two
        2026-11-28T10:00:02Z three
        2026-11-28T10:00:04Z four

        """)
    }

    @Test(arguments: [(0, ""), (1, "four\n"), (2, "e\nfour\n"), (4, "three\nfour\n"), (6, "one\ntwo\nthree\nfour\n"), (10, "one\ntwo\nthree\nfour\n")])
    func tailCountsFileLines(lines: Int, expected: String) async throws {
        // As the kubelet, the tail counts lines of the file, so a split line may be cut.
        #expect(try await Self.read(Self.log, LogOptions(tailLines: lines)) == expected)
    }

    @Test func tailIgnoresAnUnterminatedLastLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-tail-\(UUID().uuidString)").path
        try "a\nb\nc".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fd = try CRILogReader.open(path)
        defer { close(fd) }
        #expect(CRILogReader.tailStart(fd, lines: 1) == 2)
        #expect(CRILogReader.tailStart(fd, lines: 0) == 4)
        #expect(CRILogReader.tailStart(fd, lines: 5) == 0)
    }

    @Test func sinceSkipsOlderEntries() async throws {
        let since = try #require(Timestamp.parse("2026-11-28T10:00:01Z"))
        #expect(try await Self.read(Self.log, LogOptions(since: since)) == "two\nthree\nfour\n")
        #expect(try await Self.read(Self.log, LogOptions(since: since + 3)) == "four\n")
    }

    @Test func limitBytesCutsTheOutput() async throws {
        #expect(try await Self.read(Self.log, LogOptions(limitBytes: 6)) == "one\ntw")
        #expect(try await Self.read(Self.log, LogOptions(timestamps: true, limitBytes: 10)) == "2026-11-28")
    }

    @Test func followReadsLinesWrittenLaterAndEndsWhenStopped() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-follow-\(UUID().uuidString)").path
        try "2026-11-28T10:00:00Z stdout F first\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fd = try CRILogReader.open(path)
        defer { close(fd) }
        let appender = open(path, O_WRONLY | O_APPEND)
        defer { close(appender) }
        let running = RunningFlag()
        var out: [UInt8] = []
        await CRILogReader.stream(fd: fd, options: LogOptions(follow: true), pollInterval: .milliseconds(5),
                                  isRunning: { running.value }) { bytes in
            out += bytes
            // Once the first line is out, the container writes its last line and exits.
            if String(decoding: out, as: UTF8.self) == "first\n" {
                _ = Array("2026-11-28T10:00:01Z stdout F last\n".utf8).withUnsafeBytes { write(appender, $0.baseAddress, $0.count) }
                running.value = false
            }
            return true
        }
        #expect(String(decoding: out, as: UTF8.self) == "first\nlast\n")
    }

    @Test func followStopsWhenTheReaderIsGone() async throws {
        var calls = 0
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-gone-\(UUID().uuidString)").path
        try "2026-11-28T10:00:00Z stdout F only\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fd = try CRILogReader.open(path)
        defer { close(fd) }
        await CRILogReader.stream(fd: fd, options: LogOptions(follow: true), pollInterval: .milliseconds(5), isRunning: { true }) { _ in
            calls += 1
            return calls < 3
        }
        #expect(calls == 3)
    }

    @Test func optionsFromTheQuery() throws {
        let o = try LogOptions(query: ["follow": "true", "tailLines": "5", "timestamps": "1", "limitBytes": "100", "sinceSeconds": "10"], now: 1000)
        #expect(o == LogOptions(follow: true, timestamps: true, tailLines: 5, since: 990, limitBytes: 100))
        #expect(try LogOptions(query: ["tail": "all"], now: 0).tailLines == nil)
        #expect(try LogOptions(query: ["tail": "3"], now: 0).tailLines == 3)
        #expect(try LogOptions(query: ["sinceTime": "2026-11-28T10:00:00Z"], now: 0).since == Timestamp.parse("2026-11-28T10:00:00Z"))
        #expect(throws: KubeletStreamingError.self) { try LogOptions(query: ["tailLines": "-1"], now: 0) }
        #expect(throws: KubeletStreamingError.self) { try LogOptions(query: ["limitBytes": "0"], now: 0) }
        #expect(throws: KubeletStreamingError.self) { try LogOptions(query: ["follow": "maybe"], now: 0) }
        #expect(throws: KubeletStreamingError.self) { try LogOptions(query: ["sinceSeconds": "5", "sinceTime": "2026-11-28T10:00:00Z"], now: 0) }
    }
}

final class RunningFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    var value: Bool {
        get { lock.withLock { running } }
        set { lock.withLock { running = newValue } }
    }
}
