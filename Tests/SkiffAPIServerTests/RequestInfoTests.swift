import NIOHTTP1
import Testing
@testable import SkiffAPIServer

@Suite struct RequestInfoTests {
    @Test(arguments: [
        ("GET", "/api/v1/namespaces/default/pods", [String: String](), "list", "", "v1", "default", "pods", "", ""),
        ("GET", "/api/v1/namespaces/default/pods/web", [:], "get", "", "v1", "default", "pods", "web", ""),
        ("GET", "/api/v1/pods", ["watch": "true"], "watch", "", "v1", "", "pods", "", ""),
        ("PUT", "/api/v1/namespaces/default/pods/web/status", [:], "update", "", "v1", "default", "pods", "web", "status"),
        ("GET", "/api/v1/namespaces/kube-system", [:], "get", "", "v1", "", "namespaces", "kube-system", ""),
        ("PUT", "/api/v1/namespaces/x/finalize", [:], "update", "", "v1", "", "namespaces", "x", "finalize"),
        ("POST", "/apis/apps/v1/namespaces/a/deployments", [:], "create", "apps", "v1", "a", "deployments", "", ""),
        ("DELETE", "/apis/apps/v1/namespaces/a/deployments", [:], "deletecollection", "apps", "v1", "a", "deployments", "", ""),
        ("PATCH", "/apis/apps/v1/namespaces/a/deployments/web/scale", [:], "patch", "apps", "v1", "a", "deployments", "web", "scale"),
    ])
    func parses(method: String, path: String, query: [String: String], verb: String, group: String, version: String,
                namespace: String, resource: String, name: String, subresource: String) {
        let info = RequestInfo(method: HTTPMethod(rawValue: method), path: path, query: query)
        #expect(info.isResourceRequest)
        #expect(info.verb == verb)
        #expect(info.group == group)
        #expect(info.version == version)
        #expect(info.namespace == namespace)
        #expect(info.resource == resource)
        #expect(info.name == name)
        #expect(info.subresource == subresource)
    }

    @Test func nonResourcePaths() {
        #expect(!RequestInfo(method: .GET, path: "/healthz", query: [:]).isResourceRequest)
        #expect(!RequestInfo(method: .GET, path: "/apis/apps", query: [:]).isResourceRequest)
        #expect(!RequestInfo(method: .GET, path: "/api/v1", query: [:]).isResourceRequest)
    }
}
