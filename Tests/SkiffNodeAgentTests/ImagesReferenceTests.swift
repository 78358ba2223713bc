import Testing
@testable import SkiffNodeAgent

@Suite struct ImagesReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io", "library/busybox", "latest", nil),
        ("busybox:1.36", "docker.io", "library/busybox", "1.36", nil),
        ("docker.io/library/busybox", "docker.io", "library/busybox", "latest", nil),
        ("index.docker.io/org/app:v1", "docker.io", "org/app", "v1", nil),
        ("org/app", "docker.io", "org/app", "latest", nil),
        ("127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest", nil),
        ("localhost/a/b:x", "localhost", "a/b", "x", nil),
        ("ghcr.io/o/r@sha256:" + String(repeating: "a", count: 64), "ghcr.io", "o/r", nil, "sha256:" + String(repeating: "a", count: 64)),
    ] as [(String, String, String, String?, String?)])
    func parses(input: String, registry: String, repository: String, tag: String?, digest: String?) throws {
        let ref = try ImageReference(parsing: input)
        #expect(ref.registry == registry)
        #expect(ref.repository == repository)
        #expect(ref.tag == tag)
        #expect(ref.digest == digest)
    }

    @Test(arguments: ["", "Busybox", "a//b", "busybox:", "busybox@sha256:abc", "-x/y", "a:b:c"])
    func rejects(input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
    }

    @Test func hostEndpointAndDescription() throws {
        let ref = try ImageReference(parsing: "busybox")
        #expect(ref.endpointHost == "registry-1.docker.io")
        #expect(ref.description == "docker.io/library/busybox:latest")
    }

    @Test func dockerConfigJSON() throws {
        let json = #"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"127.0.0.1:5000":{"username":"u","password":"p:w"}}}"#
        let creds = try RegistryCredentials(dockerConfigJSON: Array(json.utf8))
        #expect(creds.credential(for: "docker.io") == RegistryCredential(username: "user", password: "pass"))
        #expect(creds.credential(for: "127.0.0.1:5000") == RegistryCredential(username: "u", password: "p:w"))
        #expect(creds.credential(for: "ghcr.io") == nil)
        let legacy = try RegistryCredentials(dockerConfigJSON: Array(#"{"reg.example.com":{"auth":"YTpi"}}"#.utf8))
        #expect(legacy.credential(for: "reg.example.com") == RegistryCredential(username: "a", password: "b"))
    }

    @Test func bearerChallenge() {
        let (scheme, params) = RegistryClient.parseChallenge(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#)
        #expect(scheme == "Bearer")
        #expect(params == ["realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:a/b:pull"])
    }

    @Test func platformSelection() {
        let amd = Descriptor(mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: "1", count: 64), size: 1,
                             platform: Platform(architecture: "amd64"))
        let arm = Descriptor(mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: "2", count: 64), size: 1,
                             platform: Platform(architecture: "arm64", variant: "v8"))
        let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [arm, amd])
        #expect(index.manifest(for: Platform(architecture: "amd64"))?.digest == amd.digest)
        #expect(index.manifest(for: Platform(architecture: "arm64", variant: "v8"))?.digest == arm.digest)
        #expect(index.manifest(for: Platform(architecture: "s390x")) == nil)
    }

    @Test func chainIDs() {
        let a = "sha256:" + String(repeating: "a", count: 64), b = "sha256:" + String(repeating: "b", count: 64)
        let ids = ImageStore.chainIDs([a, b])
        #expect(ids[0] == a)
        #expect(ids[1] == Digest.sha256(Array("\(a) \(b)".utf8)))
    }
}
