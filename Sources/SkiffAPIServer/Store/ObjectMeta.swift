import Foundation
import SkiffModel

/// ObjectMeta handling shared by every kind: server-set fields on create and update, and the
/// checks kube-apiserver's `ValidateObjectMeta` makes.
enum ObjectMeta {
    static let generateNameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func randomSuffix(_ n: Int = 5) -> String {
        String((0..<n).map { _ in generateNameAlphabet.randomElement()! })
    }

    static func newUID() -> String { UUID().uuidString.lowercased() }

    /// Validation of `metadata` for create and update.
    static func validate(_ object: JSON, type: ResourceType) -> [FieldError] {
        var errors: [FieldError] = []
        let meta = object["metadata"] ?? [:]
        let name = meta["name"]?.string ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else {
            for msg in NameValidation.pathSegmentName(name) {
                errors.append(.invalid("metadata.name", .string(name), msg))
            }
            if errors.isEmpty {
                for msg in type.strategy.validateName(name) {
                    errors.append(.invalid("metadata.name", .string(name), msg))
                }
            }
        }
        if type.namespaced {
            let ns = meta["namespace"]?.string ?? ""
            if ns.isEmpty {
                errors.append(.required("metadata.namespace"))
            } else {
                for msg in NameValidation.dns1123Label(ns) {
                    errors.append(.invalid("metadata.namespace", .string(ns), msg))
                }
            }
        } else if let ns = meta["namespace"]?.string, !ns.isEmpty {
            errors.append(.forbidden("metadata.namespace", "not allowed on this type"))
        }
        if let labels = meta["labels"] {
            errors += NameValidation.validateLabels(labels, field: "metadata.labels")
        }
        if let annotations = meta["annotations"] {
            errors += NameValidation.validateAnnotations(annotations, field: "metadata.annotations")
        }
        if let gen = meta["generation"]?.int, gen < 0 {
            errors.append(.invalid("metadata.generation", .int(gen), "must be greater than or equal to 0"))
        }
        if let finalizers = meta["finalizers"]?.array {
            for (i, f) in finalizers.enumerated() {
                let s = f.string ?? ""
                for msg in NameValidation.qualifiedName(s) {
                    errors.append(.invalid("metadata.finalizers[\(i)]", f, msg))
                }
            }
        }
        return errors
    }

    /// Checks an update may not change server-owned metadata, as `ValidateObjectMetaUpdate`.
    static func validateUpdate(_ new: JSON, old: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        for field in ["name", "namespace", "uid", "creationTimestamp"] {
            let a = new["metadata", field] ?? .null
            let b = old["metadata", field] ?? .null
            if a != b {
                errors.append(.invalid("metadata.\(field)", a, "field is immutable"))
            }
        }
        return errors
    }
}
