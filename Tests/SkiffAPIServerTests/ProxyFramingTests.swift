import NIOHTTP1
import SkiffModel
import Testing
@testable import SkiffAPIServer

/// The pieces of the API server's pass-through to node agents: response heads and body framing
/// from the agent, `PodLogOptions`, and the container a request means.
@Suite struct ProxyFramingTests {
    @Test func parsesAResponseHeadOnceComplete() throws {
        let text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n\u{1}x"
        let bytes = Array(text.utf8)
        #expect(try UpstreamHead.parse(Array(bytes.prefix(30))) == nil)
        let (head, length) = try #require(try UpstreamHead.parse(bytes))
        #expect(head.status == 101)
        #expect(head.headers.first(name: "sec-websocket-protocol") == "v5.channel.k8s.io")
        #expect(Array(bytes[length...]) == [1, 120])
        #expect(throws: UpstreamError.self) { try UpstreamHead.parse(Array("SSH-2.0\r\n\r\n".utf8)) }
    }

    @Test func decodesChunkedBodiesSplitAnywhere() throws {
        let head = UpstreamHead(status: 200, headers: ["Transfer-Encoding": "chunked"])
        let wire = Array("5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\n".utf8)
        for split in 0...wire.count {
            var framing = BodyFraming(head, method: "GET")
            let out = try framing.feed(Array(wire[..<split])) + framing.feed(Array(wire[split...]))
            #expect(String(decoding: out, as: UTF8.self) == "hello world!")
            #expect(framing.isDone)
        }
        var bad = BodyFraming(head, method: "GET")
        #expect(throws: UpstreamError.self) { try bad.feed(Array("zz\r\n".utf8)) }
    }

    @Test func contentLengthAndEmptyBodies() throws {
        var sized = BodyFraming(UpstreamHead(status: 200, headers: ["Content-Length": "3"]), method: "GET")
        #expect(try sized.feed(Array("abcdef".utf8)) == Array("abc".utf8))
        #expect(sized.isDone)
        #expect(BodyFraming(UpstreamHead(status: 204, headers: [:]), method: "GET").isDone)
        #expect(BodyFraming(UpstreamHead(status: 200, headers: ["Content-Length": "9"]), method: "HEAD").isDone)
        var open = BodyFraming(UpstreamHead(status: 200, headers: [:]), method: "GET")
        #expect(try open.feed([1, 2]) == [1, 2] && !open.isDone)
    }

    @Test func podLogOptionsAsKubernetesValidatesThem() throws {
        let o = try PodLogOptions(query: ["container": "c", "follow": "true", "tailLines": "2", "timestamps": "1", "limitBytes": "10",
                                          "sinceTime": "2026-11-28T10:00:00+01:00"], podName: "p")
        #expect(o.kubeletQuery == "follow=true&limitBytes=10&sinceTime=2026-11-28T09%3A00%3A00Z&tailLines=2&timestamps=true")
        #expect(try PodLogOptions(query: ["follow": "false", "previous": "0"], podName: "p").kubeletQuery == "")
        let invalid = #expect(throws: APIError.self) { try PodLogOptions(query: ["tailLines": "-1", "limitBytes": "0"], podName: "p") }
        #expect(invalid?.code == 422)
        #expect(invalid?.message == "PodLogOptions \"p\" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]")
        let both = #expect(throws: APIError.self) { try PodLogOptions(query: ["sinceSeconds": "5", "sinceTime": "2026-11-28T10:00:00Z"], podName: "p") }
        #expect(both?.message.contains("at most one of `sinceTime` or `sinceSeconds` may be specified") == true)
        #expect(throws: APIError.self) { try PodLogOptions(query: ["tailLines": "x"], podName: "p") }
    }

    @Test func containerNamesAsKubeApiserverChecksThem() throws {
        let pod: JSON = ["spec": ["containers": [["name": "a"], ["name": "b"]], "initContainers": [["name": "setup"]]]]
        let unnamed = #expect(throws: APIError.self) { try APIServer.containerName("", pod: pod, podName: "p") }
        #expect(unnamed?.code == 400)
        #expect(unnamed?.message == "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [setup]")
        let wrong = #expect(throws: APIError.self) { try APIServer.containerName("c", pod: pod, podName: "p") }
        #expect(wrong?.message == "container c is not valid for pod p")
        #expect(try APIServer.containerName("setup", pod: pod, podName: "p") == "setup")
        #expect(try APIServer.containerName("", pod: ["spec": ["containers": [["name": "only"]]]], podName: "p") == "only")
    }

    @Test func agentErrorsAsKubeApiserverReportsThem() {
        #expect(APIServer.responseError(status: 400, body: "container \"c\" in pod \"p\" is waiting to start: ContainerCreating\n",
                                        resource: "pods/log", name: "p").message
                == "container \"c\" in pod \"p\" is waiting to start: ContainerCreating")
        let missing = APIServer.responseError(status: 404, body: "pod \"p\" does not exist", resource: "pods/log", name: "p")
        #expect(missing.code == 404 && missing.reason == "NotFound")
        #expect(missing.message == "the server could not find the requested resource ( pods/log p)")
    }

    @Test func requestsPassedOnLoseTheClientsCredentials() {
        let h: HTTPHeaders = ["Authorization": "Bearer user", "Host": "api", "Connection": "Upgrade", "Upgrade": "websocket",
                              "Sec-WebSocket-Key": "k", "User-Agent": "kubectl"]
        let upgraded = APIServer.forwardedHeaders(h, upgrade: true)
        #expect(upgraded["authorization"].isEmpty && upgraded["host"].isEmpty)
        #expect(upgraded.first(name: "upgrade") == "websocket" && upgraded.first(name: "sec-websocket-key") == "k")
        #expect(APIServer.forwardedHeaders(h, upgrade: false)["connection"].isEmpty)
        #expect(Request(method: .GET, uri: "/x", headers: h, body: []).isUpgrade)
        #expect(!Request(method: .GET, uri: "/x", headers: ["Connection": "keep-alive"], body: []).isUpgrade)
    }
}
