import SkiffModel

/// `kubectl get` output: meta.k8s.io/v1 Table built from each kind's columns.
enum Table {
    static func columnDefinitions(_ type: ResourceType) -> JSON {
        .array(type.strategy.columns.map { col in
            ["name": .string(col.name), "type": .string(col.type), "format": .string(col.format),
             "description": .string(col.description), "priority": .int(Int64(col.priority))]
        })
    }

    static func row(_ c: RequestContext, _ object: JSON) -> JSON {
        var row: JSON = ["cells": .array(c.type.strategy.cells(object))]
        switch c.query["includeObject"] ?? "Metadata" {
        case "None": break
        case "Object": row["object"] = c.output(object)
        default: row["object"] = partialMetadata(object)
        }
        return row
    }

    static func make(_ c: RequestContext, _ items: [CachedObject], listMeta: JSON, withColumns: Bool = true) -> JSON {
        var table: JSON = [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMeta,
            "rows": .array(items.map { row(c, $0.object) }),
        ]
        table["columnDefinitions"] = withColumns ? columnDefinitions(c.type) : .array([])
        return table
    }

    static func partialMetadata(_ object: JSON) -> JSON {
        ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] ?? [:]]
    }
}
