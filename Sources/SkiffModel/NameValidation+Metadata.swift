/// ObjectMeta rules for labels and annotations (apimachinery `metav1validation.ValidateLabels`,
/// `ValidateLabelName` and `apimachineryvalidation.ValidateAnnotations`).
///
/// Map entries are checked in key order, so the error list is deterministic (Kubernetes walks a
/// Go map, in random order). Entries whose value is not a string are left to the schema's type
/// checks and skipped here.
extension NameValidation {
    /// The most bytes all annotation keys and values of one object may take together (256 KiB).
    public static let totalAnnotationSizeLimit = 256 * 1024

    /// `ValidateLabelName`: one `invalid` error at `field` per message of `qualifiedName(key)`.
    public static func validateLabelName(_ key: String, field: String) -> [FieldError] {
        qualifiedName(key).map { .invalid(field, .string(key), $0) }
    }

    /// `ValidateLabels` for a `map[string]string` of labels (`metadata.labels`, a selector's
    /// `matchLabels`): keys must be qualified names and values valid label values. Errors name
    /// `field` itself, as Kubernetes does (`metadata.labels: Invalid value: "a b": ...`).
    public static func validateLabels(_ labels: JSON, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        for (key, value) in labels.members.sorted(by: { $0.key < $1.key }) {
            errors += validateLabelName(key, field: field)
            guard let text = value.string else { continue }
            errors += labelValue(text).map { .invalid(field, value, $0) }
        }
        return errors
    }

    /// `ValidateAnnotations`: keys must be qualified names once lower-cased, and keys plus values
    /// may take at most `totalAnnotationSizeLimit` bytes (`metadata.annotations: Too long: must
    /// have at most 262144 bytes`).
    public static func validateAnnotations(_ annotations: JSON, field: String) -> [FieldError] {
        var errors: [FieldError] = []
        var total = 0
        for (key, value) in annotations.members.sorted(by: { $0.key < $1.key }) {
            errors += qualifiedName(key.lowercased()).map { .invalid(field, .string(key), $0) }
            total += key.utf8.count + (value.string?.utf8.count ?? 0)
        }
        if total > totalAnnotationSizeLimit {
            errors.append(FieldError(.tooLong, field, "must have at most \(totalAnnotationSizeLimit) bytes"))
        }
        return errors
    }
}
