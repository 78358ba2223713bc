import Testing
@testable import SkiffClient

@Suite struct ResourcePathTests {
    @Test(arguments: [
        (Resource.pods, "default", "web", nil, "/api/v1/namespaces/default/pods/web"),
        (Resource.pods, nil, nil, nil, "/api/v1/pods"),
        (Resource.nodes, "ignored", "n1", "status", "/api/v1/nodes/n1/status"),
        (Resource.deployments, "kube-system", "d", "scale", "/apis/apps/v1/namespaces/kube-system/deployments/d/scale"),
        (Resource.leases, "ns", nil, nil, "/apis/coordination.k8s.io/v1/namespaces/ns/leases"),
    ] as [(Resource, String?, String?, String?, String)])
    func path(resource: Resource, namespace: String?, name: String?, subresource: String?, expected: String) {
        #expect(resource.path(namespace: namespace, name: name, subresource: subresource) == expected)
    }

    @Test func queryEncoding() {
        #expect(PathEncoding.query([("labelSelector", "app in (a,b),!x"), ("watch", "true")])
            == "labelSelector=app%20in%20%28a%2Cb%29%2C%21x&watch=true")
    }
}
