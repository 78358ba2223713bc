import CZlib
import Testing
@testable import SkiffNodeAgent

/// The SPDY/3 codec `kubectl port-forward` talks to the agent with.
@Suite struct ServerSPDYTests {
    static let portHeaders = [SPDYHeader("streamtype", "data"), SPDYHeader("port", "8080"), SPDYHeader("requestid", "0")]

    static let frames: [SPDYFrame] = [
        .synStream(streamID: 1, associatedTo: 0, priority: 3, fin: false, unidirectional: false, headers: portHeaders),
        .synStream(streamID: 3, fin: true, headers: [SPDYHeader("streamtype", "error"), SPDYHeader("port", "8080")]),
        .synReply(streamID: 1, headers: []),
        .synReply(streamID: 3, fin: true, headers: [SPDYHeader("x", "a\u{0}b")]),
        .rstStream(streamID: 5, status: SPDYFrame.cancel),
        .settings([SPDYSetting(id: 4, value: 100), SPDYSetting(flags: 1, id: 7, value: 65536)]),
        .ping(id: 0xdead_beef),
        .goAway(lastGoodStreamID: 7, status: 0),
        .headers(streamID: 1, headers: [SPDYHeader("a", "b")]),
        .windowUpdate(streamID: 1, delta: 4096),
        .data(streamID: 1, fin: false, Array("GET / HTTP/1.0\r\n\r\n".utf8)),
        .data(streamID: 3, fin: true, []),
    ]

    @Test func everyFrameRoundTrips() throws {
        let encoder = try SPDYFrameEncoder(), decoder = try SPDYFrameDecoder()
        for frame in Self.frames {
            decoder.append(try encoder.encode(frame))
            #expect(try decoder.next() == frame)
            #expect(try decoder.next() == nil)
        }
    }

    @Test func framesSplitAcrossReadsAreReassembled() throws {
        let encoder = try SPDYFrameEncoder(), decoder = try SPDYFrameDecoder()
        let bytes = try Self.frames.flatMap { try encoder.encode($0) }
        var decoded: [SPDYFrame] = []
        for b in bytes {
            decoder.append([b])
            while let f = try decoder.next() { decoded.append(f) }
        }
        #expect(decoded == Self.frames)
    }

    @Test func wireLayoutOfControlAndDataFrames() throws {
        let encoder = try SPDYFrameEncoder()
        // Control bit, version 3, type 6 (PING), no flags, length 4, the id.
        #expect(try encoder.encode(.ping(id: 1)) == [0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        #expect(try encoder.encode(.rstStream(streamID: 3, status: 5)) == [0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 5])
        // Data: stream id without the control bit, FIN flag, 24-bit length.
        #expect(try encoder.encode(.data(streamID: 1, fin: true, [7, 8])) == [0, 0, 0, 1, 1, 0, 0, 2, 7, 8])
    }

    @Test func headerBlocksUseZlibWithTheSPDY3Dictionary() throws {
        #expect(SPDYDictionary.bytes.count == 1423)
        let deflater = try SPDYHeaderDeflater()
        let block = SPDYFrameEncoder.headerBlock(Self.portHeaders)
        let compressed = try deflater.compress(block)
        // zlib header: FDICT set, then the dictionary's Adler-32.
        #expect(compressed[1] & 0x20 != 0)
        let adler = SPDYDictionary.bytes.withUnsafeBufferPointer { adler32(1, $0.baseAddress, uInt($0.count)) }
        #expect(u32(compressed, 2) == UInt32(adler))
        // Sync flush: every block ends with an empty stored block.
        #expect(Array(compressed.suffix(4)) == [0, 0, 0xff, 0xff])
        // A plain inflater without the dictionary cannot read it.
        var plain = z_stream()
        inflateInit_(&plain, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        defer { inflateEnd(&plain) }
        var input = compressed, out = [UInt8](repeating: 0, count: 1024)
        let rc = input.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                plain.next_in = i.baseAddress; plain.avail_in = uInt(i.count)
                plain.next_out = o.baseAddress; plain.avail_out = uInt(o.count)
                return inflate(&plain, Z_SYNC_FLUSH)
            }
        }
        #expect(rc == Z_NEED_DICT)
        // The second block of the connection depends on the first one's context.
        let inflater = try SPDYHeaderInflater()
        #expect(try inflater.decompress(compressed) == block)
        let second = try deflater.compress(block)
        #expect(second.count < compressed.count)
        #expect(try inflater.decompress(second) == block)
        #expect(throws: SPDYError.self) { try SPDYHeaderInflater().decompress(second) }
    }

    @Test func malformedFramesAreErrors() throws {
        let decoder = try SPDYFrameDecoder()
        decoder.append([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        #expect(throws: SPDYError.self) { try decoder.next() }
        let short = try SPDYFrameDecoder()
        short.append([0x80, 3, 0, 3, 0, 0, 0, 2, 0, 0])
        #expect(throws: SPDYError.self) { try short.next() }
        let garbage = try SPDYFrameDecoder()
        garbage.append([0x80, 3, 0, 2, 0, 0, 0, 8, 0, 0, 0, 1, 1, 2, 3, 4])
        #expect(throws: SPDYError.self) { try garbage.next() }
        // An unknown control type is skipped, not an error.
        let unknown = try SPDYFrameDecoder()
        unknown.append([0x80, 3, 0, 10, 0, 0, 0, 0])
        #expect(try unknown.next() == .unknown(type: 10))
    }

    @Test func headerLookupIsCaseInsensitive() {
        #expect(Self.portHeaders.value("StreamType") == "data")
        #expect(Self.portHeaders.value("missing") == nil)
    }
}
