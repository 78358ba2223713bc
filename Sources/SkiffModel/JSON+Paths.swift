extension JSON {
    /// This value without the member at a field path as validation reports it
    /// (`spec.foo`, `spec.containers[0].foo`); unchanged if the path does not exist.
    public func removing(fieldPath: String) -> JSON {
        var steps: [Step] = []
        for part in fieldPath.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "["),
                  let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indices.insert(i, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { steps.append(.member(String(name))) }
            steps += indices.map(Step.index)
        }
        return removing(steps[...])
    }

    enum Step { case member(String), index(Int) }

    func removing(_ steps: ArraySlice<Step>) -> JSON {
        guard let first = steps.first else { return self }
        switch (first, self) {
        case (.member(let k), .object(var members)):
            guard let child = members[k] else { return self }
            members[k] = steps.count == 1 ? nil : child.removing(steps.dropFirst())
            return .object(members)
        case (.index(let i), .array(var items)) where i >= 0 && i < items.count:
            if steps.count == 1 { items.remove(at: i) } else { items[i] = items[i].removing(steps.dropFirst()) }
            return .array(items)
        default:
            return self
        }
    }
}
