import NIOCore
import NIOWebSocket
import SkiffModel

extension KubeletServer {
    /// Runs one `attach` over an upgraded WebSocket (the channel protocol `exec` uses): the
    /// container's output from now on goes out on stdout and stderr, the client's stdin messages
    /// go to the container's stdin, and once the container's output ends (it exited) a `Success`
    /// status goes on the error channel, as the kubelet does. Resize messages set the size of the
    /// container's terminal, when it has one.
    func serveAttach(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ r: ExecRequest, _ proto: StreamProtocol) async {
        let backend = self.backend
        let logger = self.logger
        do {
            try await channel.executeThenClose { inbound, outbound in
                let session: AttachSession
                do {
                    session = try await backend.attach(namespace: r.namespace, pod: r.pod, container: r.container, stdin: r.stdin, tty: r.tty)
                } catch {
                    try await outbound.write(Self.frame(.error, StreamProtocol.status(internalError: "error attaching to container: \(error)").serialized()))
                    try await outbound.write(Self.closeFrame())
                    return
                }
                logger.debug("attach started", metadata: ["k8s.namespace": "\(r.namespace)", "k8s.name": "\(r.pod)", "container": "\(r.container)"])
                let stdin = session.stdin.map { PipeWriter(fd: $0, onClose: { session.closedStdin() }) }
                let (frames, out) = AsyncStream<WebSocketFrame>.makeStream()
                out.yield(Self.frame(r.stdout ? .stdout : r.stderr ? .stderr : .error, []))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await frame in inbound {
                                switch frame.opcode {
                                case .binary, .text:
                                    switch proto.decode(Array(frame.unmaskedData.readableBytesView)) {
                                    case .stdin(let data): if r.stdin { stdin?.write(data) }
                                    case .close(let ch): if ch == .stdin { stdin?.close() }
                                    case .resize(let w, let h): session.resize(width: w, height: h)
                                    case .ignored: break
                                    }
                                case .ping: out.yield(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                                case .connectionClose: out.finish(); return
                                default: break
                                }
                            }
                        } catch {}
                        out.finish()
                    }
                    group.addTask {
                        for await (stream, bytes) in session.output {
                            if stream == "stdout" && r.stdout { out.yield(Self.frame(.stdout, bytes)) }
                            // With a terminal there is no separate stderr; without, stderr only when asked.
                            if stream == "stderr" && (r.stderr || (r.tty && r.stdout)) { out.yield(Self.frame(r.stderr ? .stderr : .stdout, bytes)) }
                        }
                        out.yield(Self.frame(.error, StreamProtocol.status(exitCode: 0).serialized()))
                        out.yield(Self.closeFrame())
                        out.finish()
                    }
                    for await frame in frames {
                        do { try await outbound.write(frame) } catch { break }
                    }
                    // Detaching closes only this client's descriptor; the container keeps its stdin.
                    stdin?.close()
                    channel.channel.close(promise: nil)
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("attach connection failed", metadata: ["error": "\(error)"])
        }
    }
}
