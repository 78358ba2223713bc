import NIOCore
import NIOWebSocket

extension KubeletServer {
    /// Serves one `kubectl port-forward` connection after the upgrade: SPDY frames come in as
    /// `inbound` bytes and go out through `send` (raw on a SPDY/3.1 connection, in WebSocket
    /// binary messages when tunnelled). Each complete stream pair is dialled inside the Pod's
    /// network namespace and copied both ways until either side closes.
    func servePortForward(_ r: PortForwardRequest, inbound: AsyncStream<[UInt8]>,
                          send: @escaping @Sendable ([UInt8]) async throws -> Void) async {
        let (frames, out) = AsyncStream<SPDYFrame>.makeStream()
        let session: PortForwardSession
        do { session = try PortForwardSession(request: r, out: out) } catch {
            logger.debug("port forward failed", metadata: ["error": "\(error)"])
            return
        }
        let backend = self.backend, logger = self.logger
        logger.debug("port forward started", metadata: ["k8s.namespace": "\(r.namespace)", "k8s.name": "\(r.pod)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard let encoder = try? SPDYFrameEncoder() else { return }
                for await frame in frames {
                    do { try await send(encoder.encode(frame)) } catch { break }
                }
            }
            for await bytes in inbound {
                let forwards: [PortForwardSession.Forward]
                do { forwards = try session.receive(bytes) } catch {
                    logger.debug("port forward protocol error", metadata: ["error": "\(error)"])
                    break
                }
                for f in forwards { group.addTask { await Self.forward(f, r, backend, out) } }
                if session.ended { break }
            }
            session.end()
            out.finish()
        }
        logger.debug("port forward ended", metadata: ["k8s.name": "\(r.pod)"])
    }

    /// Dials one pair's port and copies the Pod's side to the data stream until it closes; a
    /// failure is reported on the error stream as the kubelet words it.
    static func forward(_ f: PortForwardSession.Forward, _ r: PortForwardRequest, _ backend: any KubeletStreamingBackend,
                        _ out: AsyncStream<SPDYFrame>.Continuation) async {
        let fd: Int32
        do {
            fd = try await backend.portForward(namespace: r.namespace, pod: r.pod, port: f.port)
        } catch {
            f.socket.fail()
            let message = "error forwarding port \(f.port) to pod \(r.pod), uid : \(error)"
            out.yield(.data(streamID: f.errorStream, fin: true, Array(message.utf8)))
            out.yield(.data(streamID: f.dataStream, fin: true, []))
            return
        }
        let reader = f.socket.start(fd: fd)
        for await chunk in FileDescriptorIO.chunks(of: reader) {
            out.yield(.data(streamID: f.dataStream, chunk))
        }
        f.socket.close()
        out.yield(.data(streamID: f.dataStream, fin: true, []))
        out.yield(.data(streamID: f.errorStream, fin: true, []))
    }

    /// A plain SPDY/3.1 connection (`Upgrade: SPDY/3.1`).
    func serveSPDY(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ r: PortForwardRequest) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                let (bytes, input) = AsyncStream<[UInt8]>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do { for try await buffer in inbound { input.yield(Array(buffer.readableBytesView)) } } catch {}
                        input.finish()
                    }
                    await servePortForward(r, inbound: bytes, send: { try await outbound.write(ByteBuffer(bytes: $0)) })
                    channel.channel.close(promise: nil)
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("port forward connection failed", metadata: ["error": "\(error)"])
        }
    }

    /// SPDY frames tunnelled in WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`).
    func serveTunnel(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ r: PortForwardRequest) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                let (bytes, input) = AsyncStream<[UInt8]>.makeStream()
                let (control, controlOut) = AsyncStream<WebSocketFrame>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            for try await frame in inbound {
                                switch frame.opcode {
                                case .binary, .continuation: input.yield(Array(frame.unmaskedData.readableBytesView))
                                case .ping: controlOut.yield(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                                case .connectionClose: input.finish(); return
                                default: break
                                }
                            }
                        } catch {}
                        input.finish()
                    }
                    // Pongs go through the same writer as the tunnelled frames.
                    let writer = TunnelWriter(outbound: outbound)
                    group.addTask { for await frame in control { try? await writer.write(frame) } }
                    await servePortForward(r, inbound: bytes, send: { bytes in
                        try await writer.write(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: bytes)))
                    })
                    try? await writer.write(Self.closeFrame())
                    controlOut.finish()
                    channel.channel.close(promise: nil)
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("port forward connection failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Serialises writes of whole WebSocket frames from several tasks.
actor TunnelWriter {
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    init(outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) { self.outbound = outbound }
    func write(_ frame: WebSocketFrame) async throws { try await outbound.write(frame) }
}
