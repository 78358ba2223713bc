import SkiffModel
import Testing
@testable import SkiffAPIServer

@Suite struct RBACAuthorizerTests {
    let sa = UserInfo(name: "system:serviceaccount:ns:bot", groups: ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"])

    func request(_ verb: String, _ resource: String, group: String = "", subresource: String = "", namespace: String = "ns",
                 name: String = "") -> AuthorizationAttributes {
        AuthorizationAttributes(user: sa, verb: verb, isResourceRequest: true, group: group, resource: resource, subresource: subresource,
                                namespace: namespace, name: name)
    }

    @Test func rulesMatchVerbsGroupsResourcesSubresourcesAndNames() {
        let pods = BootstrapPolicy.rule([""], ["pods", "pods/log"], ["get", "list"])
        #expect(RBACAuthorizer.allows(pods, request("list", "pods")))
        #expect(RBACAuthorizer.allows(pods, request("get", "pods", subresource: "log", name: "p")))
        #expect(!RBACAuthorizer.allows(pods, request("get", "pods", subresource: "exec", name: "p")))
        #expect(!RBACAuthorizer.allows(pods, request("delete", "pods", name: "p")))
        #expect(!RBACAuthorizer.allows(pods, request("list", "pods", group: "apps")))
        let scale = BootstrapPolicy.rule(["apps"], ["*/scale"], ["update"])
        #expect(RBACAuthorizer.allows(scale, request("update", "deployments", group: "apps", subresource: "scale", name: "d")))
        #expect(!RBACAuthorizer.allows(scale, request("update", "deployments", group: "apps", name: "d")))
        var named = BootstrapPolicy.rule([""], ["configmaps"], ["get", "list"])
        named["resourceNames"] = ["settings"]
        #expect(RBACAuthorizer.allows(named, request("get", "configmaps", name: "settings")))
        #expect(!RBACAuthorizer.allows(named, request("get", "configmaps", name: "other")))
        #expect(!RBACAuthorizer.allows(named, request("list", "configmaps")))  // a name-limited rule never allows a list
        let paths = BootstrapPolicy.paths(["/healthz", "/apis/*"])
        let path = { (p: String) in AuthorizationAttributes(user: self.sa, verb: "get", isResourceRequest: false, path: p) }
        #expect(RBACAuthorizer.allows(paths, path("/healthz")))
        #expect(RBACAuthorizer.allows(paths, path("/apis/apps/v1")))
        #expect(!RBACAuthorizer.allows(paths, path("/api/v1")))
    }

    @Test func bindingsNameUsersGroupsAndServiceAccounts() {
        func binding(_ subject: JSON) -> JSON { ["metadata": ["name": "b", "namespace": "ns"], "subjects": [subject]] }
        #expect(RBACAuthorizer.binds(binding(["kind": "ServiceAccount", "name": "bot"]), sa))  // the binding's namespace
        #expect(RBACAuthorizer.binds(binding(["kind": "ServiceAccount", "name": "bot", "namespace": "ns"]), sa))
        #expect(!RBACAuthorizer.binds(binding(["kind": "ServiceAccount", "name": "bot", "namespace": "other"]), sa))
        #expect(RBACAuthorizer.binds(binding(["kind": "Group", "name": "system:serviceaccounts:ns"]), sa))
        #expect(!RBACAuthorizer.binds(binding(["kind": "User", "name": "bot"]), sa))
    }

    @Test func forbiddenMessagesReadLikeKubeAPIServers() {
        #expect(request("list", "pods").forbiddenMessage
                == "pods is forbidden: User \"system:serviceaccount:ns:bot\" cannot list resource \"pods\" in API group \"\" in the namespace \"ns\"")
        #expect(request("get", "deployments", group: "apps", subresource: "scale", namespace: "", name: "web").forbiddenMessage
                == "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ns:bot\" cannot get resource \"deployments/scale\" "
                + "in API group \"apps\" at the cluster scope")
        #expect(AuthorizationAttributes(user: sa, verb: "get", isResourceRequest: false, path: "/metrics").forbiddenMessage
                == "forbidden: User \"system:serviceaccount:ns:bot\" cannot get path \"/metrics\"")
    }
}
