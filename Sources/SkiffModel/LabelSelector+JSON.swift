/// `metav1.LabelSelector` objects: validation as `metav1validation.ValidateLabelSelector`, then
/// conversion as `metav1.LabelSelectorAsSelector`.
extension LabelSelector {
    /// The selector a `metav1.LabelSelector` object stands for, or its validation errors.
    ///
    /// - null is `nothing` (matches no object); `{}` (no `matchLabels`, no `matchExpressions`)
    ///   is `everything`.
    /// - `matchLabels` entries become `key=value` requirements; `matchExpressions` operators
    ///   `In`, `NotIn`, `Exists`, `DoesNotExist` become `in`, `notin`, exists and `!`.
    ///
    /// Error fields are relative to the selector (`matchLabels`, `matchExpressions[0].values`);
    /// callers prefix their path (`spec.selector.`). Messages are Kubernetes':
    /// `matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or
    /// 'NotIn'`, `... Forbidden: may not be specified when `operator` is 'Exists' or
    /// 'DoesNotExist'`, `matchExpressions[0].operator: Invalid value: "Foo": not a valid selector
    /// operator`, plus the qualified-name and label-value rules for keys and values.
    /// `allowInvalidLabelValues` skips the value rule for expressions, as Kubernetes does when
    /// updating objects that already hold such values.
    public static func from(_ json: JSON, allowInvalidLabelValues: Bool = false) -> Result<LabelSelector, FieldErrorList> {
        if json.isNull { return .success(.nothing) }
        let errors = validate(json, allowInvalidLabelValues: allowInvalidLabelValues)
        if !errors.isEmpty { return .failure(FieldErrorList(errors: errors)) }

        var requirements: [Requirement] = []
        for (key, value) in json["matchLabels"]?.members.sorted(by: { $0.key < $1.key }) ?? [] {
            requirements.append(Requirement(key: key, op: .equals, values: [value.string ?? ""]))
        }
        for expression in json["matchExpressions"]?.array ?? [] {
            let key = expression["key"]?.string ?? ""
            let values = (expression["values"]?.array ?? []).map { $0.string ?? "" }
            switch expression["operator"]?.string ?? "" {
            case "In": requirements.append(Requirement(key: key, op: .in, values: values))
            case "NotIn": requirements.append(Requirement(key: key, op: .notIn, values: values))
            case "Exists": requirements.append(Requirement(key: key, op: .exists))
            default: requirements.append(Requirement(key: key, op: .doesNotExist))
            }
        }
        return .success(LabelSelector(requirements: requirements))
    }

    /// `ValidateLabelSelector` for a `metav1.LabelSelector` object; fields relative to it.
    /// Values of the wrong JSON type (left to the schema checks elsewhere) are reported as
    /// `Invalid value: ...: must be a string` / `must be an array`, never skipped.
    public static func validate(_ json: JSON, allowInvalidLabelValues: Bool = false) -> [FieldError] {
        if json.isNull { return [] }
        var errors: [FieldError] = []
        if let labels = json["matchLabels"], !labels.isNull {
            if labels.object == nil { errors.append(.invalid("matchLabels", labels, "must be an object")) }
            for (key, value) in labels.members.sorted(by: { $0.key < $1.key }) where value.string == nil {
                errors.append(.invalid("matchLabels[\(key)]", value, "must be a string"))
            }
            errors += NameValidation.validateLabels(labels, field: "matchLabels")
        }
        guard let expressions = json["matchExpressions"], !expressions.isNull else { return errors }
        guard let list = expressions.array else {
            return errors + [.invalid("matchExpressions", expressions, "must be an array")]
        }
        for (i, expression) in list.enumerated() {
            errors += validateRequirement(expression, field: "matchExpressions[\(i)]",
                                          allowInvalidLabelValues: allowInvalidLabelValues)
        }
        return errors
    }

    /// `ValidateLabelSelectorRequirement`: operator, then key, then values.
    static func validateRequirement(_ expression: JSON, field: String, allowInvalidLabelValues: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let values = expression["values"]?.array ?? []
        switch expression["operator"] ?? "" {
        case "In", "NotIn":
            if values.isEmpty {
                errors.append(.required(field + ".values", "must be specified when `operator` is 'In' or 'NotIn'"))
            }
        case "Exists", "DoesNotExist":
            if !values.isEmpty {
                errors.append(.forbidden(field + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
            }
        case let other:
            errors.append(.invalid(field + ".operator", other, "not a valid selector operator"))
        }
        let key = expression["key"] ?? ""
        if let text = key.string {
            errors += NameValidation.validateLabelName(text, field: field + ".key")
        } else {
            errors.append(.invalid(field + ".key", key, "must be a string"))
        }
        if let bad = expression["values"], !bad.isNull, bad.array == nil {
            errors.append(.invalid(field + ".values", bad, "must be an array"))
        }
        for (i, value) in values.enumerated() {
            guard let text = value.string else {
                errors.append(.invalid(field + ".values[\(i)]", value, "must be a string"))
                continue
            }
            if allowInvalidLabelValues { continue }
            errors += NameValidation.labelValue(text).map { .invalid(field + ".values[\(i)]", value, $0) }
        }
        return errors
    }
}
