import NIOHTTP1

/// A response head read from an upstream server: status line and headers.
struct UpstreamHead: Sendable {
    var status: Int
    var headers: HTTPHeaders

    /// Parses the head at the start of `bytes`; nil until the blank line after the headers has
    /// arrived. Returns the head and its length in bytes.
    static func parse(_ bytes: [UInt8]) throws(UpstreamError) -> (UpstreamHead, Int)? {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        var end: Int?
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && Array(bytes[i..<(i + 4)]) == crlfcrlf {
            end = i
            break
        }
        guard let end else {
            if bytes.count > 64 * 1024 { throw UpstreamError("response head too large") }
            return nil
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines[0].split(separator: " ", maxSplits: 2)
        guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]) else {
            throw UpstreamError("malformed status line \"\(lines[0])\"")
        }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (UpstreamHead(status: code, headers: headers), end + 4)
    }
}

/// A failure talking to an upstream server (a node agent).
struct UpstreamError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Finds the end of a response body by its framing: `Transfer-Encoding: chunked` (decoded),
/// `Content-Length`, or the connection's end.
struct BodyFraming {
    enum Mode { case chunked, length(Int), untilClose }
    private enum ChunkState { case size, data(Int), dataEnd, trailer }

    private var mode: Mode
    private var state = ChunkState.size
    private var line: [UInt8] = []
    private(set) var isDone = false

    init(_ head: UpstreamHead, method: String) {
        if method == "HEAD" || head.status == 204 || head.status == 304 || (100..<200).contains(head.status) {
            mode = .length(0)
        } else if head.headers["transfer-encoding"].contains(where: { $0.lowercased().contains("chunked") }) {
            mode = .chunked
        } else if let n = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            mode = .length(n)
        } else {
            mode = .untilClose
        }
        if case .length(0) = mode { isDone = true }
    }

    /// The body bytes in `bytes` (chunk framing removed).
    mutating func feed(_ bytes: [UInt8]) throws(UpstreamError) -> [UInt8] {
        switch mode {
        case .untilClose:
            return bytes
        case .length(let n):
            let take = Array(bytes.prefix(n))
            mode = .length(n - take.count)
            if n - take.count == 0 { isDone = true }
            return take
        case .chunked:
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count, !isDone {
                switch state {
                case .size, .trailer:
                    let b = bytes[i]
                    i += 1
                    if b != 10 { line.append(b); continue }
                    if line.last == 13 { line.removeLast() }
                    let text = String(decoding: line, as: UTF8.self)
                    line = []
                    if case .trailer = state {
                        if text.isEmpty { isDone = true }
                        continue
                    }
                    let hex = text.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                    guard let size = Int(hex, radix: 16), size >= 0 else { throw UpstreamError("malformed chunk size \"\(text)\"") }
                    state = size == 0 ? .trailer : .data(size)
                case .data(let n):
                    let take = min(n, bytes.count - i)
                    out += bytes[i..<(i + take)]
                    i += take
                    state = n - take == 0 ? .dataEnd : .data(n - take)
                case .dataEnd:
                    // The CRLF after a chunk's data.
                    let b = bytes[i]
                    i += 1
                    if b == 10 { state = .size }
                }
            }
            return out
        }
    }
}
