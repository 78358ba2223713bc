import SkiffModel

/// Services and EndpointSlices as the API server returns them.
enum Fixtures {
    static func parse(_ text: String) -> JSON {
        guard let json = try? JSON.parse(Array(text.utf8)) else { fatalError("bad fixture JSON: \(text)") }
        return json
    }

    static let services: [JSON] = [
        parse("""
        {"metadata": {"namespace": "default", "name": "web"},
         "spec": {"type": "NodePort", "clusterIP": "10.43.0.10", "sessionAffinity": "None",
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080}]}}
        """),
        parse("""
        {"metadata": {"namespace": "kube-system", "name": "dns"},
         "spec": {"type": "ClusterIP", "clusterIP": "10.43.0.53", "sessionAffinity": "ClientIP",
                  "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53}]}}
        """),
        parse("""
        {"metadata": {"namespace": "default", "name": "empty"},
         "spec": {"type": "NodePort", "clusterIP": "10.43.0.20",
                  "ports": [{"port": 9000, "protocol": "SCTP", "targetPort": 9000, "nodePort": 30900}]}}
        """),
        parse("""
        {"metadata": {"namespace": "default", "name": "headless"},
         "spec": {"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 80, "protocol": "TCP"}]}}
        """),
        parse("""
        {"metadata": {"namespace": "default", "name": "outside"},
         "spec": {"type": "ExternalName", "externalName": "example.com"}}
        """),
    ]

    static let slices: [JSON] = [
        parse("""
        {"metadata": {"namespace": "default", "name": "web-a1", "labels": {"kubernetes.io/service-name": "web"}},
         "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["10.42.0.5"], "conditions": {"ready": true}},
                       {"addresses": ["10.42.0.6"], "conditions": {"ready": false, "terminating": true}}]}
        """),
        parse("""
        {"metadata": {"namespace": "default", "name": "web-b2", "labels": {"kubernetes.io/service-name": "web"}},
         "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
         "endpoints": [{"addresses": ["10.42.0.10"]}, {"addresses": ["10.42.0.5"], "conditions": {"ready": true}}]}
        """),
        parse("""
        {"metadata": {"namespace": "kube-system", "name": "dns-c3", "labels": {"kubernetes.io/service-name": "dns"}},
         "addressType": "IPv4", "ports": [{"name": "dns", "port": 5353, "protocol": "UDP"}],
         "endpoints": [{"addresses": ["10.42.0.7"], "conditions": {"ready": true}}]}
        """),
        parse("""
        {"metadata": {"namespace": "default", "name": "empty-d4", "labels": {"kubernetes.io/service-name": "empty"}},
         "addressType": "IPv4", "ports": null, "endpoints": []}
        """),
    ]
}
