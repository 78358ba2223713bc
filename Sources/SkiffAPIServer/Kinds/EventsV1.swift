import SkiffModel

/// events.k8s.io/v1 Events, stored as core/v1 Events (as Kubernetes does) and converted field by field.
enum EventsV1 {
    /// events.k8s.io field ↔ core/v1 field.
    static let renamed: [(String, String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    static let conversion = VersionConversion(
        version: "v1",
        toStorage: { e in
            var o = e
            o["apiVersion"] = "v1"
            for (new, old) in renamed {
                o[old] = e[new]
                o[new] = nil
            }
            if o["reportingComponent"] == nil { o["reportingComponent"] = "" }
            if o["reportingInstance"] == nil { o["reportingInstance"] = "" }
            return o
        },
        fromStorage: { c in
            var o = c
            o["apiVersion"] = "events.k8s.io/v1"
            for (new, old) in renamed {
                o[new] = c[old]
                o[old] = nil
            }
            if (o["reportingController"]?.string ?? "").isEmpty, let component = c["source", "component"] { o["reportingController"] = component }
            if (o["reportingInstance"]?.string ?? "").isEmpty, let host = c["source", "host"] { o["reportingInstance"] = host }
            if o["eventTime"] == nil { o["eventTime"] = .null }
            return o
        })

    static let type = ResourceType(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events",
                                   strategy: EventStrategy(),
                                   sharedStorage: (keyPrefix: "/registry/core/events/", conversion: conversion))
}
