import NIOCore
import NIOWebSocket
import SkiffModel

extension KubeletServer {
    /// Runs one `exec` over an upgraded WebSocket: starts the process, copies the client's stdin
    /// messages into it and its stdout and stderr out as messages, then sends the exit as a
    /// `Status` on the error channel and closes.
    func serveExec(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ r: ExecRequest, _ proto: StreamProtocol) async {
        let backend = self.backend
        let logger = self.logger
        do {
            try await channel.executeThenClose { inbound, outbound in
                let session: ExecSession
                do {
                    session = try await backend.exec(namespace: r.namespace, pod: r.pod, container: r.container, command: r.command,
                                                     tty: r.tty, stdin: r.stdin)
                } catch {
                    try await outbound.write(Self.frame(.error, StreamProtocol.status(internalError: "error executing command in container: \(error)").serialized()))
                    try await outbound.write(Self.closeFrame())
                    return
                }
                logger.debug("exec started", metadata: ["k8s.namespace": "\(r.namespace)", "k8s.name": "\(r.pod)", "container": "\(r.container)"])
                let stdin = session.stdin.map(PipeWriter.init)
                if !r.stdin { stdin?.close() }
                let (frames, out) = AsyncStream<WebSocketFrame>.makeStream()
                // As the kubelet: an empty message on the lowest writable channel says the streams are ready.
                out.yield(Self.frame(r.stdout ? .stdout : r.stderr ? .stderr : .error, []))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await frame in inbound {
                                switch frame.opcode {
                                case .binary, .text:
                                    switch proto.decode(Array(frame.unmaskedData.readableBytesView)) {
                                    case .stdin(let data): if r.stdin { stdin?.write(data) }
                                    case .resize(let w, let h): session.resize(width: w, height: h)
                                    case .close(let ch): if ch == .stdin { stdin?.close() }
                                    case .ignored: break
                                    }
                                case .ping:
                                    out.yield(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                                case .connectionClose:
                                    stdin?.close()
                                    return
                                default:
                                    break
                                }
                            }
                        } catch {}
                        stdin?.close()
                    }
                    group.addTask {
                        await withTaskGroup(of: Void.self) { pumps in
                            for (fd, ch, wanted) in [(session.stdout, StreamProtocol.Channel.stdout, r.stdout),
                                                     (session.stderr, .stderr, r.stderr)] {
                                guard let fd else { continue }
                                pumps.addTask {
                                    for await chunk in FileDescriptorIO.chunks(of: fd) where wanted {
                                        out.yield(Self.frame(ch, chunk))
                                    }
                                }
                            }
                        }
                        let code = await session.wait()
                        logger.debug("exec ended", metadata: ["k8s.name": "\(r.pod)", "exitCode": "\(code)"])
                        out.yield(Self.frame(.error, StreamProtocol.status(exitCode: code).serialized()))
                        out.yield(Self.closeFrame())
                        out.finish()
                    }
                    for await frame in frames {
                        do { try await outbound.write(frame) } catch { break }
                    }
                    stdin?.close()
                    channel.channel.close(promise: nil)
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("exec connection failed", metadata: ["error": "\(error)"])
        }
    }

    static func frame(_ channel: StreamProtocol.Channel, _ data: [UInt8]) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: StreamProtocol.message(channel, data)))
    }

    static func closeFrame() -> WebSocketFrame {
        var data = ByteBuffer()
        data.writeInteger(UInt16(1000))
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }
}
