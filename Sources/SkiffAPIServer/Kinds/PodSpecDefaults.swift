import SkiffModel

/// Defaults and validation of a PodSpec, shared by Pods and every workload's Pod template.
enum PodSpecRules {
    static func applyDefaults(_ spec: inout JSON) {
        func setDefault(_ key: String, _ value: JSON) { if spec[key] == nil { spec[key] = value } }
        setDefault("restartPolicy", "Always")
        setDefault("dnsPolicy", "ClusterFirst")
        setDefault("schedulerName", "default-scheduler")
        setDefault("terminationGracePeriodSeconds", 30)
        setDefault("securityContext", [:])
        setDefault("enableServiceLinks", true)
        for list in ["containers", "initContainers"] {
            guard let containers = spec[list]?.array else { continue }
            spec[list] = .array(containers.map(defaultContainer))
        }
    }

    static func defaultContainer(_ c: JSON) -> JSON {
        // Empty lists are absent, as in Kubernetes' typed objects (`omitempty`).
        var c = JSON.object(c.members.filter { $0.value != .array([]) })
        if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
        if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
        if c["resources"] == nil { c["resources"] = [:] }
        if c["imagePullPolicy"] == nil {
            let image = c["image"]?.string ?? ""
            let lastPart = image.split(separator: "/").last.map(String.init) ?? image
            let tagged = lastPart.contains(":") && !lastPart.hasSuffix(":latest")
            c["imagePullPolicy"] = (tagged || image.contains("@")) ? "IfNotPresent" : "Always"
        }
        if let ports = c["ports"]?.array {
            c["ports"] = .array(ports.map { p in
                var p = p
                if p["protocol"] == nil { p["protocol"] = "TCP" }
                return p
            })
        }
        return c
    }

    static func validate(_ spec: JSON?, field: String) -> [FieldError] {
        guard let spec else { return [.required(field)] }
        var errors: [FieldError] = []
        let containers = spec["containers"]?.array ?? []
        if containers.isEmpty { errors.append(.required("\(field).containers")) }
        var names = Set<String>()
        for (list, items) in [("initContainers", spec["initContainers"]?.array ?? []), ("containers", containers)] {
            for (i, c) in items.enumerated() {
                let path = "\(field).\(list)[\(i)]"
                let name = c["name"]?.string ?? ""
                if name.isEmpty {
                    errors.append(.required("\(path).name"))
                } else {
                    for msg in NameValidation.dns1123Label(name) { errors.append(.invalid("\(path).name", .string(name), msg)) }
                    if !names.insert(name).inserted { errors.append(.duplicate("\(path).name", .string(name))) }
                }
                if (c["image"]?.string ?? "").isEmpty { errors.append(.required("\(path).image")) }
                if let policy = c["imagePullPolicy"]?.string, !["Always", "IfNotPresent", "Never"].contains(policy) {
                    errors.append(.notSupported("\(path).imagePullPolicy", .string(policy), ["Always", "IfNotPresent", "Never"]))
                }
                for (j, p) in (c["ports"]?.array ?? []).enumerated() {
                    let port = p["containerPort"]?.int ?? 0
                    if port < 1 || port > 65535 {
                        errors.append(.invalid("\(path).ports[\(j)].containerPort", .int(port), "must be between 1 and 65535, inclusive"))
                    }
                }
            }
        }
        if let policy = spec["restartPolicy"]?.string, !["Always", "OnFailure", "Never"].contains(policy) {
            errors.append(.notSupported("\(field).restartPolicy", .string(policy), ["Always", "OnFailure", "Never"]))
        }
        if let policy = spec["dnsPolicy"]?.string, !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(policy) {
            errors.append(.notSupported("\(field).dnsPolicy", .string(policy), ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]))
        }
        return errors
    }
}
