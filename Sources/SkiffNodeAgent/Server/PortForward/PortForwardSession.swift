import Foundation
import Glibc

/// The SPDY side of one port-forward connection, as the kubelet's `portforward` package: the
/// client opens a pair of streams per forwarded connection, both with headers `port` and
/// `requestID`, one with `streamType: error` and one with `streamType: data`. Every stream is
/// answered with SYN_REPLY; once a pair is complete the caller dials the port (`Forward`), copies
/// the data stream both ways, and on failure writes the message to the error stream.
///
/// Not thread-safe: the connection's reader owns it; frames to send go to `out`.
final class PortForwardSession {
    /// A complete pair to dial and copy.
    struct Forward: Sendable {
        var port: Int
        var dataStream: UInt32
        var errorStream: UInt32
        var socket: ForwardedSocket
    }

    private struct Pair {
        var port: Int
        var data: UInt32?
        var error: UInt32?
        var socket: ForwardedSocket?
    }

    let request: PortForwardRequest
    let out: AsyncStream<SPDYFrame>.Continuation
    private var pairs: [String: Pair] = [:]
    /// Data stream id -> its pair's request id.
    private var byData: [UInt32: String] = [:]
    private let decoder: SPDYFrameDecoder
    private(set) var ended = false

    init(request: PortForwardRequest, out: AsyncStream<SPDYFrame>.Continuation) throws(SPDYError) {
        self.request = request
        self.out = out
        decoder = try SPDYFrameDecoder()
    }

    /// Handles the bytes the client sent; returns the pairs that became complete.
    func receive(_ bytes: [UInt8]) throws(SPDYError) -> [Forward] {
        decoder.append(bytes)
        var started: [Forward] = []
        while !ended, let frame = try decoder.next() {
            if let f = handle(frame) { started.append(f) }
        }
        return started
    }

    private func handle(_ frame: SPDYFrame) -> Forward? {
        switch frame {
        case .synStream(let id, _, _, _, _, let headers):
            return open(stream: id, headers)
        case .data(let id, let fin, let bytes):
            guard let key = byData[id], let socket = pairs[key]?.socket else { return nil }
            if !bytes.isEmpty { socket.write(bytes) }
            if fin { socket.shutdownWrite() }
        case .rstStream(let id, _):
            if let key = byData.removeValue(forKey: id) { pairs.removeValue(forKey: key)?.socket?.abort() }
        case .ping(let id):
            out.yield(.ping(id: id))
        case .goAway:
            end()
        case .synReply, .settings, .headers, .windowUpdate, .unknown:
            break
        }
        return nil
    }

    private func open(stream id: UInt32, _ headers: [SPDYHeader]) -> Forward? {
        let type = headers.value("streamType")
        guard let portText = headers.value("port"), let port = Int(portText), port > 0, port < 65536,
              type == "error" || type == "data" else {
            // The kubelet rejects a stream it cannot place.
            out.yield(.rstStream(streamID: id, status: SPDYFrame.refusedStream))
            return nil
        }
        // Clients before requestID: the error stream is created first, the data stream right after it.
        let key = headers.value("requestID") ?? String(type == "data" ? Int(id) - 2 : Int(id))
        var pair = pairs[key] ?? Pair(port: port)
        if type == "data" {
            guard pair.data == nil else { out.yield(.rstStream(streamID: id, status: SPDYFrame.protocolError)); return nil }
            pair.data = id
            byData[id] = key
        } else {
            guard pair.error == nil else { out.yield(.rstStream(streamID: id, status: SPDYFrame.protocolError)); return nil }
            pair.error = id
        }
        out.yield(.synReply(streamID: id, headers: []))
        defer { pairs[key] = pair }
        guard let data = pair.data, let error = pair.error, pair.socket == nil else { return nil }
        let socket = ForwardedSocket()
        pair.socket = socket
        return Forward(port: pair.port, dataStream: data, errorStream: error, socket: socket)
    }

    /// The connection is over: every forwarded socket is shut.
    func end() {
        ended = true
        for (_, p) in pairs { p.socket?.abort() }
        pairs = [:]
        byData = [:]
    }
}

/// A forwarded TCP connection's write side: writes queue in order until the socket is
/// connected (`start`), then go out on a serial queue. The socket's read side is a `dup` the
/// copying thread owns and closes.
final class ForwardedSocket: @unchecked Sendable {
    // `fd` is set once, before `queue` is activated, and then only read on `queue`.
    private var fd: Int32 = -1
    private let queue = DispatchQueue(label: "skiff.portforward", attributes: .initiallyInactive)
    private let activated = NSLock()
    private var isActive = false

    /// libdispatch does not allow releasing a queue that was never activated.
    deinit { activate() }

    /// Connected: queued writes go out. Returns the descriptor to read from (a duplicate).
    func start(fd: Int32) -> Int32 {
        self.fd = fd
        activate()
        return dup(fd)
    }

    /// Dialling failed: queued and later writes are dropped.
    func fail() { activate() }

    private func activate() {
        activated.withLock {
            if !isActive { isActive = true; queue.activate() }
        }
    }

    func write(_ bytes: [UInt8]) {
        queue.async { [self] in if fd >= 0 { FileDescriptorIO.writeAll(fd, bytes) } }
    }

    /// The client sent FIN: the server reads EOF.
    func shutdownWrite() {
        queue.async { [self] in if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) } }
    }

    /// Reset or connection ended: both directions are shut (the reader sees EOF) and the write side closed.
    func abort() {
        queue.async { [self] in
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd); fd = -1 }
        }
        activate()
    }

    /// The copy ended: the write side is closed after what is queued.
    func close() {
        queue.async { [self] in
            if fd >= 0 { Glibc.close(fd); fd = -1 }
        }
    }
}
