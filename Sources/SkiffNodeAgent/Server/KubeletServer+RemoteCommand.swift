import NIOCore
import SkiffModel

extension KubeletServer {
    /// `exec` or `attach` over SPDY/3.1 (`v4.channel.k8s.io`), as kubectl before 1.30 speaks it:
    /// the client opens one stream per channel (header `streamType`: `error`, `stdin`, `stdout`,
    /// `stderr`, `resize`); once every expected stream is open the command starts (or the
    /// container is attached), output goes out as DATA on its stream and ends with FIN, stdin's
    /// FIN closes the process's stdin, and the final `Status` goes on the error stream.
    func serveRemoteCommand(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ r: ExecRequest, attach: Bool) async {
        let backend = self.backend, logger = self.logger
        let expected = 1 + (r.stdin ? 1 : 0) + (r.stdout ? 1 : 0) + (r.stderr ? 1 : 0) + (r.tty ? 1 : 0)
        do {
            try await channel.executeThenClose { inbound, outbound in
                let (frames, out) = AsyncStream<SPDYFrame>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        guard let encoder = try? SPDYFrameEncoder() else { return }
                        for await frame in frames {
                            do { try await outbound.write(ByteBuffer(bytes: encoder.encode(frame))) } catch { break }
                        }
                        channel.channel.close(promise: nil)
                    }
                    guard let decoder = try? SPDYFrameDecoder() else { out.finish(); return }
                    var streams: [String: UInt32] = [:]
                    var stdin: PipeWriter?
                    var resize: [UInt8] = []
                    var resizeTerminal: (@Sendable (UInt16, UInt16) -> Void)?
                    var started = false
                    reading: do {
                        for try await buffer in inbound {
                            decoder.append(buffer.readableBytesView)
                            while let frame = try decoder.next() {
                                switch frame {
                                case .synStream(let id, _, _, _, _, let headers):
                                    guard let type = headers.value("streamType"), streams[type] == nil,
                                          ["error", "stdin", "stdout", "stderr", "resize"].contains(type) else {
                                        out.yield(.rstStream(streamID: id, status: SPDYFrame.refusedStream))
                                        continue
                                    }
                                    streams[type] = id
                                    out.yield(.synReply(streamID: id, headers: []))
                                    // Streams may be followed at once by stdin data: start as soon as the last one is open.
                                    guard !started, streams.count >= expected, let errorStream = streams["error"] else { continue }
                                    started = true
                                    let io = RemoteCommandStreams(error: errorStream, stdout: streams["stdout"], stderr: streams["stderr"])
                                    do {
                                        if attach {
                                            let a = try await backend.attach(namespace: r.namespace, pod: r.pod, container: r.container, stdin: r.stdin, tty: r.tty)
                                            stdin = a.stdin.map { PipeWriter(fd: $0, onClose: { a.closedStdin() }) }
                                            resizeTerminal = { a.resize(width: $0, height: $1) }
                                            group.addTask { await Self.pumpAttach(a, io, r, out) }
                                        } else {
                                            let s = try await backend.exec(namespace: r.namespace, pod: r.pod, container: r.container, command: r.command,
                                                                           tty: r.tty, stdin: r.stdin)
                                            resizeTerminal = { s.resize(width: $0, height: $1) }
                                            stdin = s.stdin.map(PipeWriter.init)
                                            group.addTask { await Self.pumpExec(s, io, r, out) }
                                        }
                                        if !r.stdin { stdin?.close() }
                                        logger.debug("remote command started", metadata: ["k8s.name": "\(r.pod)", "container": "\(r.container)"])
                                    } catch {
                                        let what = attach ? "error attaching to container" : "error executing command in container"
                                        out.yield(.data(streamID: errorStream, fin: true, StreamProtocol.status(internalError: "\(what): \(error)").serialized()))
                                        out.finish()
                                    }
                                case .data(let id, let fin, let bytes) where id == streams["stdin"]:
                                    if !bytes.isEmpty { stdin?.write(bytes) }
                                    if fin { stdin?.close() }
                                case .data(let id, _, let bytes) where id == streams["resize"]:
                                    resize += bytes
                                    // Back-to-back JSON objects: `{"Width":80,"Height":24}`.
                                    while let end = resize.firstIndex(of: UInt8(ascii: "}")) {
                                        let object = Array(resize[...end])
                                        resize.removeSubrange(...end)
                                        if case .resize(let w, let h) = StreamProtocol.v4.decode([StreamProtocol.Channel.resize.rawValue] + object) {
                                            resizeTerminal?(w, h)
                                        }
                                    }
                                case .ping(let id):
                                    out.yield(.ping(id: id))
                                case .goAway:
                                    break reading
                                default:
                                    break
                                }
                            }
                        }
                    } catch {
                        logger.debug("remote command protocol error", metadata: ["error": "\(error)"])
                    }
                    stdin?.close()
                    // The client left: the output pumps stop with the writer.
                    if !started { out.finish() }
                }
            }
        } catch {
            logger.debug("remote command connection failed", metadata: ["error": "\(error)"])
        }
    }

    struct RemoteCommandStreams: Sendable {
        var error: UInt32
        var stdout: UInt32?
        var stderr: UInt32?
    }

    static func pumpExec(_ s: ExecSession, _ io: RemoteCommandStreams, _ r: ExecRequest, _ out: AsyncStream<SPDYFrame>.Continuation) async {
        await withTaskGroup(of: Void.self) { pumps in
            for (fd, id) in [(s.stdout, io.stdout), (s.stderr, io.stderr)] {
                guard let fd else { continue }
                pumps.addTask {
                    for await chunk in FileDescriptorIO.chunks(of: fd) {
                        if let id { out.yield(.data(streamID: id, chunk)) }
                    }
                }
            }
        }
        for id in [io.stdout, io.stderr].compactMap({ $0 }) { out.yield(.data(streamID: id, fin: true, [])) }
        let code = await s.wait()
        out.yield(.data(streamID: io.error, fin: true, StreamProtocol.status(exitCode: code).serialized()))
        out.finish()
    }

    static func pumpAttach(_ a: AttachSession, _ io: RemoteCommandStreams, _ r: ExecRequest, _ out: AsyncStream<SPDYFrame>.Continuation) async {
        for await (stream, bytes) in a.output {
            if stream == "stdout", let id = io.stdout { out.yield(.data(streamID: id, bytes)) }
            if stream == "stderr", let id = io.stderr ?? (r.tty ? io.stdout : nil) { out.yield(.data(streamID: id, bytes)) }
        }
        for id in [io.stdout, io.stderr].compactMap({ $0 }) { out.yield(.data(streamID: id, fin: true, [])) }
        out.yield(.data(streamID: io.error, fin: true, StreamProtocol.status(exitCode: 0).serialized()))
        out.finish()
    }
}
