/// Type checks of scalar values, and the Go type names Kubernetes' decoder prints.
extension SchemaWalker {
    /// Kubernetes' `resource.ErrFormatWrong`.
    static let quantityFormatMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    /// Kubernetes' `resource.ErrSuffix`.
    static let quantitySuffixMessage = "unable to parse quantity's suffix"

    mutating func mismatch(_ value: JSON, expected: String, goType: String, goValue: String? = nil, message: String? = nil) {
        mismatches.append(TypeMismatch(
            path: path, value: value, expected: expected,
            goValue: goValue ?? SchemaWalker.goValueName(value), goStruct: goStruct.isEmpty ? "" : SchemaWalker.shortName(goStruct),
            goField: goFields.joined(separator: "."), goType: goType, message: message))
    }

    mutating func checkInteger(_ value: JSON, _ node: JSON, _ name: String?) {
        let type = goType(node, name)
        let range: ClosedRange<Int64> = switch node["format"]?.string {
        case "int32"?: Int64(Int32.min)...Int64(Int32.max)
        default: Int64.min...Int64.max
        }
        switch value {
        case .int(let i):
            if !range.contains(i) { mismatch(value, expected: "integer", goType: type, goValue: "number \(i)") }
        case .double(let d):
            // A whole number written with a fraction or exponent (`3.0`) is accepted: kubectl's
            // YAML-to-JSON conversion writes it as `3` before the server sees it.
            if d.rounded() != d || d < Double(range.lowerBound) || d > Double(range.upperBound) {
                mismatch(value, expected: "integer", goType: type, goValue: "number \(JSON.format(d))")
            }
        default:
            mismatch(value, expected: "integer", goType: type)
        }
    }

    /// Quantities (`500m`, `1Gi`, `2`) accept a string or a number in Kubernetes' format.
    mutating func checkQuantity(_ value: JSON) {
        let text: String
        switch value {
        case .int, .double: return
        case .string(let s): text = s
        default: text = ""
        }
        if let message = SchemaWalker.quantityError(text) {
            mismatch(value, expected: "string", goType: "resource.Quantity", message: message)
        }
    }

    /// Why `resource.ParseQuantity` rejects `s`, or nil if it parses.
    static func quantityError(_ s: String) -> String? {
        let chars = Array(s.utf8)
        guard !chars.isEmpty else { return quantityFormatMessage }
        var i = 0
        if chars[0] == UInt8(ascii: "+") || chars[0] == UInt8(ascii: "-") { i += 1 }
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        while i < chars.count, isDigit(chars[i]) { i += 1 }
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            i += 1
            while i < chars.count, isDigit(chars[i]) { i += 1 }
        }
        let suffixStart = i
        let suffixLetters = Set("eEinumkKMGTP".utf8)
        while i < chars.count, suffixLetters.contains(chars[i]) { i += 1 }
        if i < chars.count, chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") { i += 1 }
        while i < chars.count, isDigit(chars[i]) { i += 1 }
        if i < chars.count { return quantityFormatMessage }
        let suffix = String(decoding: chars[suffixStart...], as: UTF8.self)
        let known: Set<String> = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"]
        if known.contains(suffix) { return nil }
        if let first = suffix.first, first == "e" || first == "E", Int(suffix.dropFirst()) != nil { return nil }
        return quantitySuffixMessage
    }

    /// What Go's decoder calls a JSON value in `cannot unmarshal <value> into ...`.
    static func goValueName(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The Go type Kubernetes decodes a (resolved) schema node into, as `reflect.Type.String()`
    /// prints it: `int32`, `v1.DeploymentSpec`, `[]v1.Container`, `map[string]string`.
    /// Named string types (`v1.PullPolicy`) are not in the schema and print as `string`.
    func goType(_ node: JSON, _ name: String?) -> String {
        if let name, SchemaWalker.timeTypes.contains(name) { return "string" }
        if let name, name == SchemaWalker.quantity { return "resource.Quantity" }
        if SchemaWalker.isIntOrString(node) { return "int32" }
        let format = node["format"]?.string
        switch node["type"]?.string {
        case "array"?:
            let (items, itemsName) = schema.resolveNamed(node["items"] ?? .null)
            return "[]" + goType(items, itemsName)
        case "string"?:
            return format == "byte" ? "[]uint8" : "string"
        case "integer"?:
            return format == "int32" ? "int32" : format == "int64" ? "int64" : "int"
        case "number"?:
            return format == "float" ? "float32" : "float64"
        case "boolean"?:
            return "bool"
        default:
            if let name, node["additionalProperties"]?.object == nil {
                let parts = name.split(separator: ".")
                return parts.count >= 2 ? "\(parts[parts.count - 2]).\(parts[parts.count - 1])" : name
            }
            if let additional = node["additionalProperties"], additional.object != nil {
                let (value, valueName) = schema.resolveNamed(additional)
                return "map[string]" + goType(value, valueName)
            }
            return node["type"] == nil ? "interface {}" : "map[string]interface {}"
        }
    }
}
