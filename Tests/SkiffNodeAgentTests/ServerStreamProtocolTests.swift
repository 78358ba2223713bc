import SkiffModel
import Testing
@testable import SkiffNodeAgent

/// The remote command channel protocol and the kubelet's request parameters.
@Suite struct ServerStreamProtocolTests {
    @Test func negotiatesTheClientsFirstSupportedProtocol() {
        #expect(StreamProtocol.negotiate(["v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io"]) == .v5)
        #expect(StreamProtocol.negotiate(["v3.channel.k8s.io", "v4.channel.k8s.io"]) == .v4)
        #expect(StreamProtocol.negotiate(["channel.k8s.io"]) == nil)
        #expect(StreamProtocol.negotiate([]) == nil)
    }

    @Test func messagesCarryTheChannelFirst() {
        #expect(StreamProtocol.message(.stdout, Array("hi".utf8)) == [1, 104, 105])
        #expect(StreamProtocol.message(.error, []) == [3])
    }

    @Test func decodesClientMessages() {
        #expect(StreamProtocol.v5.decode([0, 97, 98]) == .stdin([97, 98]))
        #expect(StreamProtocol.v5.decode(Array([4] + Array(#"{"Width":80,"Height":24}"#.utf8))) == .resize(width: 80, height: 24))
        #expect(StreamProtocol.v5.decode([255, 0]) == .close(.stdin))
        // v4 has no close signal.
        #expect(StreamProtocol.v4.decode([255, 0]) == .ignored)
        #expect(StreamProtocol.v5.decode([]) == .ignored)
        #expect(StreamProtocol.v5.decode([7, 1]) == .ignored)
        #expect(StreamProtocol.v5.decode([4, 1, 2]) == .ignored)
    }

    @Test func exitStatusAsTheKubeletSendsIt() throws {
        #expect(StreamProtocol.status(exitCode: 0) == ["metadata": [:], "status": "Success"])
        let failed = StreamProtocol.status(exitCode: 3)
        #expect(failed["status"] == "Failure")
        #expect(failed["reason"] == "NonZeroExitCode")
        #expect(failed["details", "causes"]?.array?.first == ["reason": "ExitCode", "message": "3"])
        let internalError = StreamProtocol.status(internalError: "boom")
        #expect(internalError["reason"] == "InternalError" && internalError["code"] == 500)
    }

    @Test func execRequestWithTheKubeletsParameterNames() throws {
        let target = KubeletRequestTarget(uri: "/exec/default/web/main?command=sh&command=-c&command=echo%20a%26b&error=1&input=1&output=1")
        let r = try #require(try ExecRequest.parse(target))
        #expect(r == ExecRequest(namespace: "default", pod: "web", container: "main", command: ["sh", "-c", "echo a&b"],
                                 stdin: true, stdout: true, stderr: true, tty: false))
        let tty = try #require(try ExecRequest.parse(KubeletRequestTarget(uri: "/exec/ns/p/uid/c?command=sh&output=1&error=1&tty=1")))
        #expect(tty.container == "c" && tty.tty && !tty.stderr)
        #expect(try ExecRequest.parse(KubeletRequestTarget(uri: "/containerLogs/a/b/c")) == nil)
        #expect(throws: KubeletStreamingError.self) { try ExecRequest.parse(KubeletRequestTarget(uri: "/exec/a/b/c?command=sh")) }
        #expect(throws: KubeletStreamingError.self) { try ExecRequest.parse(KubeletRequestTarget(uri: "/exec/a/b/c?output=1")) }
    }
}
