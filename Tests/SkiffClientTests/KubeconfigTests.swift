import Foundation
import Testing
@testable import SkiffClient

@Suite struct KubeconfigTests {
    static let ca = Data("-----BEGIN CERTIFICATE-----\n".utf8).base64EncodedString()

    /// The layout kubectl writes (sequences at the key's indentation), with comments and quoting.
    static let kubectlStyle = """
    apiVersion: v1
    clusters:
    - cluster:
        certificate-authority-data: \(ca)
        server: https://10.0.0.1:6443
      name: prod
    - cluster:
        insecure-skip-tls-verify: true
        server: "https://127.0.0.1:6443"   # local
      name: local
    contexts:
    - context:
        cluster: local
        namespace: team-a
        user: dev
      name: dev@local
    - context:
        cluster: prod
        user: 'admin'
      name: admin@prod
    current-context: dev@local
    kind: Config
    preferences: {}
    users:
    - name: admin
      user:
        token: abc#123
    - name: dev
      user:
        token: "dev-token"
    """

    @Test func currentContext() throws {
        let k = try Kubeconfig(parsing: Self.kubectlStyle)
        #expect(k.server == "https://127.0.0.1:6443")
        #expect(k.insecureSkipTLSVerify)
        #expect(k.token == "dev-token")
        #expect(k.namespace == "team-a")
        #expect(k.certificateAuthorityData == nil)
    }

    @Test func namedContext() throws {
        let k = try Kubeconfig(parsing: Self.kubectlStyle, context: "admin@prod")
        #expect(k.server == "https://10.0.0.1:6443")
        #expect(k.token == "abc#123")
        #expect(k.certificateAuthorityData == Array("-----BEGIN CERTIFICATE-----\n".utf8))
        #expect(k.namespace == "default")
        #expect(!k.insecureSkipTLSVerify)
    }

    @Test func jsonKubeconfig() throws {
        let json = """
        {"apiVersion":"v1","kind":"Config","current-context":"c",
         "clusters":[{"name":"k","cluster":{"server":"http://127.0.0.1:8080"}}],
         "contexts":[{"name":"c","context":{"cluster":"k","user":"u"}}],
         "users":[{"name":"u","user":{"token":"t"}}]}
        """
        let k = try Kubeconfig(parsing: json)
        #expect(k.server == "http://127.0.0.1:8080" && k.token == "t")
        let t = try k.transportConfiguration()
        #expect(t.scheme == "http" && t.host == "127.0.0.1" && t.port == 8080 && t.bearerToken == "t")
    }

    @Test func tokenFileIsReadRelativeToTheKubeconfig() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-kc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "from-file\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let text = """
        clusters:
          - name: k
            cluster:
              server: https://example.test
        contexts:
          - name: c
            context: {cluster: k, user: u}
        """
        // Flow mappings other than `{}` are outside the subset: refused with a clear error.
        #expect(throws: ClientError.self) { try Kubeconfig(parsing: text, context: "c", directory: dir) }
        let block = """
        current-context: c
        clusters:
          - name: k
            cluster:
              server: https://example.test
        contexts:
          - name: c
            context:
              cluster: k
              user: u
        users:
          - name: u
            user:
              tokenFile: token
        """
        try block.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        let k = try Kubeconfig.load(path: dir + "/config")
        #expect(k.token == "from-file")
        let t = try k.transportConfiguration()
        #expect(t.host == "example.test" && t.port == 443 && t.scheme == "https")
    }

    @Test(arguments: [
        "current-context: missing\ncontexts: []\n",
        "contexts:\n- name: c\n  context:\n    cluster: nope\ncurrent-context: c\n",
        "current-context: c\nclusters:\n- name: k\n  cluster: {}\ncontexts:\n- name: c\n  context:\n    cluster: k\n",
    ])
    func invalid(text: String) {
        #expect(throws: ClientError.self) { try Kubeconfig(parsing: text) }
    }
}
