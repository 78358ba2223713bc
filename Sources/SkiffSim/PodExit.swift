import SkiffModel

/// How a simulated container ends: a container whose `env` sets `SKIFF_SIM_EXIT_AFTER` (seconds,
/// counted from the Pod's `status.startTime`) exits then with `SKIFF_SIM_EXIT_CODE` (default 0).
/// Once every container that sets it has exited, a Pod with `restartPolicy` `Never` or
/// `OnFailure` moves to `Succeeded` (all codes 0) or `Failed`, each container `terminated` with
/// its `exitCode` and reason `Completed` (0) or `Error`. `Always` Pods ignore the variables.
/// Simplification: an `OnFailure` Pod whose container fails is reported `Failed`, not restarted.
public enum PodExit {
    /// Per container name: seconds after start and exit code; nil when no container exits.
    public static func plan(for pod: JSON) -> [String: (after: Double, code: Int)]? {
        if (pod["spec", "restartPolicy"]?.string ?? "Always") == "Always" { return nil }
        var plan: [String: (after: Double, code: Int)] = [:]
        for c in pod["spec", "containers"]?.array ?? [] {
            let env = c["env"]?.array ?? []
            func value(_ name: String) -> String? { env.first { $0["name"]?.string == name }?["value"]?.string }
            guard let after = value("SKIFF_SIM_EXIT_AFTER").flatMap(Double.init) else { continue }
            plan[c["name"]?.string ?? ""] = (after, value("SKIFF_SIM_EXIT_CODE").flatMap { Int($0) } ?? 0)
        }
        return plan.isEmpty ? nil : plan
    }

    /// Seconds since the epoch at which the running Pod exits, if it does.
    public static func exitTime(for pod: JSON) -> Double? {
        guard let plan = plan(for: pod), let start = pod["status", "startTime"]?.string.flatMap(Timestamp.parse) else { return nil }
        return start + (plan.values.map(\.after).max() ?? 0)
    }

    /// The status of the Pod once its containers exited at `now`.
    public static func finishedStatus(for pod: JSON, now: String) -> JSON {
        let plan = plan(for: pod) ?? [:]
        var status = pod["status"] ?? [:]
        let startTime = status["startTime"]?.string ?? now
        var failed = false
        status["containerStatuses"] = .array((status["containerStatuses"]?.array ?? []).map { cs in
            let name = cs["name"]?.string ?? ""
            let code = plan[name]?.code ?? 0
            if code != 0 { failed = true }
            var cs = cs
            cs["ready"] = false
            cs["started"] = false
            cs["state"] = ["terminated": ["exitCode": .int(Int64(code)), "reason": .string(code == 0 ? "Completed" : "Error"),
                                          "startedAt": .string(startTime), "finishedAt": .string(now), "containerID": cs["containerID"] ?? .null]]
            return cs
        })
        status["phase"] = .string(failed ? "Failed" : "Succeeded")
        let reason = failed ? "PodFailed" : "PodCompleted"
        status["conditions"] = .array((status["conditions"]?.array ?? []).map { c in
            let type = c["type"]?.string ?? ""
            guard type == "Ready" || type == "ContainersReady" else { return c }
            var c = c
            c["status"] = "False"
            c["reason"] = .string(reason)
            c["lastTransitionTime"] = .string(now)
            return c
        })
        return status
    }
}
