import Foundation
import Glibc
import SkiffModel

/// What `GET /containerLogs/...` asks for (the kubelet's `PodLogOptions`).
public struct LogOptions: Sendable, Equatable {
    public var follow = false
    public var previous = false
    public var timestamps = false
    /// Only the last this many lines (nil: all).
    public var tailLines: Int?
    /// Skip entries older than this, in seconds since the epoch.
    public var since: Double?
    /// Stop after this many bytes of output (timestamps included).
    public var limitBytes: Int?

    public init(follow: Bool = false, previous: Bool = false, timestamps: Bool = false, tailLines: Int? = nil,
                since: Double? = nil, limitBytes: Int? = nil) {
        self.follow = follow
        self.previous = previous
        self.timestamps = timestamps
        self.tailLines = tailLines
        self.since = since
        self.limitBytes = limitBytes
    }

    /// Parses the query as the kubelet does (booleans as Go's `ParseBool`, `tail` as an old name of
    /// `tailLines` with `all` meaning no limit); `since` is the later of `sinceSeconds` before `now`
    /// and `sinceTime`. Throws the message to answer 400 or 422 with.
    public init(query: [String: String], now: Double) throws(KubeletStreamingError) {
        func bool(_ key: String) throws(KubeletStreamingError) -> Bool {
            guard let v = query[key] else { return false }
            switch v {
            case "", "1", "t", "T", "true", "TRUE", "True": return true
            case "0", "f", "F", "false", "FALSE", "False": return false
            default: throw .badRequest(#"{"message": "Unable to decode query."}"#)
            }
        }
        func int(_ key: String) throws(KubeletStreamingError) -> Int? {
            guard let v = query[key] else { return nil }
            guard let n = Int(v) else { throw .badRequest(#"{"message": "Unable to decode query."}"#) }
            return n
        }
        follow = try bool("follow")
        previous = try bool("previous")
        timestamps = try bool("timestamps")
        var tailKey = "tailLines"
        if let tail = query["tail"] { tailKey = tail == "all" ? "" : "tail" }
        tailLines = tailKey.isEmpty ? nil : try int(tailKey)
        limitBytes = try int("limitBytes")
        let sinceSeconds = try int("sinceSeconds")
        var sinceTime: Double?
        if let t = query["sinceTime"] {
            guard let parsed = Timestamp.parse(t) else { throw .badRequest(#"{"message": "Unable to decode query."}"#) }
            sinceTime = parsed
        }
        let invalid = KubeletStreamingError(status: 422, #"{"message": "Invalid request."}"#)
        if let n = tailLines, n < 0 { throw invalid }
        if let n = limitBytes, n < 1 { throw invalid }
        if let n = sinceSeconds, n < 1 || sinceTime != nil { throw invalid }
        if let n = sinceSeconds { since = now - Double(n) }
        if let t = sinceTime { since = max(since ?? t, t) }
    }
}

/// One line of a CRI log file: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`.
struct CRILogEntry: Equatable {
    var timestamp: String
    var time: Double
    var stream: String
    /// A `P` entry: the text continues in the next entry (no newline of its own).
    var partial: Bool
    var text: ArraySlice<UInt8>

    /// Parses a line without its newline; nil if it is not in the format.
    static func parse(_ line: ArraySlice<UInt8>) -> CRILogEntry? {
        let space = UInt8(ascii: " ")
        guard let s1 = line.firstIndex(of: space) else { return nil }
        let rest1 = line[line.index(after: s1)...]
        guard let s2 = rest1.firstIndex(of: space) else { return nil }
        let rest2 = line[line.index(after: s2)...]
        let tagEnd = rest2.firstIndex(of: space) ?? rest2.endIndex
        let tag = rest2[..<tagEnd]
        let timestamp = String(decoding: line[..<s1], as: UTF8.self)
        guard let time = Timestamp.parse(timestamp) else { return nil }
        // Tags are `:`-separated; the first is P (partial) or F (full).
        let first = tag.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).first ?? []
        guard first.elementsEqual("P".utf8) || first.elementsEqual("F".utf8) else { return nil }
        let text = tagEnd < rest2.endIndex ? rest2[rest2.index(after: tagEnd)...] : rest2[rest2.endIndex...]
        return CRILogEntry(timestamp: timestamp, time: time, stream: String(decoding: rest1[..<s2], as: UTF8.self),
                           partial: first.elementsEqual("P".utf8), text: text)
    }
}

/// Turns entries into what `kubectl logs` prints, as the kubelet's log writer: partial entries
/// join into one line, a timestamp prefixes each line's first piece, entries older than `since`
/// are skipped, and output stops after `limitBytes`.
struct CRILogFormatter {
    let options: LogOptions
    private(set) var remaining: Int
    private var atLineStart = true

    init(options: LogOptions) {
        self.options = options
        remaining = options.limitBytes ?? Int.max
    }

    /// Whether the byte limit has been reached (nothing more will be written).
    var isDone: Bool { remaining <= 0 }

    /// The bytes to write for `entry` (possibly none).
    mutating func format(_ entry: CRILogEntry) -> [UInt8] {
        guard remaining > 0 else { return [] }
        if let since = options.since, entry.time < since { return [] }
        var out: [UInt8] = []
        if options.timestamps && atLineStart { out += Array(entry.timestamp.utf8) + [UInt8(ascii: " ")] }
        out += entry.text
        if !entry.partial { out.append(UInt8(ascii: "\n")) }
        atLineStart = !entry.partial
        if out.count > remaining { out = Array(out.prefix(remaining)) }
        remaining -= out.count
        return out
    }
}

/// Reads a CRI log file for `kubectl logs`.
enum CRILogReader {
    /// The offset where the last `n` lines of `fd` begin: just after the (n+1)th newline from the
    /// end, as the kubelet's `FindTailLineStartIndex` (an unterminated last line is not counted).
    static func tailStart(_ fd: Int32, lines n: Int) -> Int {
        let size = Int(lseek(fd, 0, SEEK_END))
        var found = 0
        var pos = size
        var buf = [UInt8](repeating: 0, count: 8192)
        while pos > 0 {
            let len = min(buf.count, pos)
            pos -= len
            let got = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, len, off_t(pos)) }
            guard got == len else { return 0 }
            var i = len - 1
            while i >= 0 {
                if buf[i] == UInt8(ascii: "\n") {
                    found += 1
                    if found == n + 1 { return pos + i + 1 }
                }
                i -= 1
            }
        }
        return 0
    }

    /// Opens a log file for `stream`; the caller closes it.
    static func open(_ path: String) throws(KubeletStreamingError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .notFound("log file \(path) does not exist") }
            throw KubeletStreamingError(status: 500, "open \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Writes the log in `fd` through `write`, which returns false once the reader is gone (an
    /// empty write only asks whether it is still there). With `follow`, keeps reading new lines
    /// until `isRunning` says the container stopped and the file is drained.
    static func stream(fd: Int32, options: LogOptions, pollInterval: Duration = .milliseconds(100),
                       isRunning: () async -> Bool, write: ([UInt8]) async -> Bool) async {
        var offset = 0
        if let n = options.tailLines { offset = tailStart(fd, lines: n) }
        var formatter = CRILogFormatter(options: options)
        var limited = options.tailLines.map { options.follow ? Int.max : $0 } ?? Int.max
        var pending: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        var finalPass = false
        while !formatter.isDone && limited > 0 {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            if n > 0 {
                offset += n
                pending += buf[0..<n]
                var out: [UInt8] = []
                var start = pending.startIndex
                while limited > 0, !formatter.isDone, let nl = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if let entry = CRILogEntry.parse(pending[start..<nl]) {
                        out += formatter.format(entry)
                        limited -= 1
                    }
                    start = nl + 1
                }
                pending.removeSubrange(..<start)
                if !out.isEmpty, await !write(out) { return }
                continue
            }
            // End of the file.
            if !options.follow || finalPass { break }
            if await !isRunning() {
                finalPass = true
                continue
            }
            if await !write([]) { return }
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { return }
        }
    }
}
