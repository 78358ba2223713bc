import NIOHTTP1
import SkiffModel

extension APIServer {
    func create(_ c: inout RequestContext) async throws -> Response {
        let raw = try c.rawBodyNotingDuplicates()
        let body = try validateFields(&c, raw)
        var obj = try c.decodeBody(body)
        if c.type.namespaced && c.namespace == nil {
            throw APIError.badRequest("the server could not find the requested resource")
        }
        if c.type.group.isEmpty && c.type.kind == "Pod" { try await admitServiceAccount(&obj) }
        let created = try await store.createWritten(c.type, obj, dryRun: c.dryRun, manager: c.fieldManager)
        return c.respond(created, status: .created)
    }

    func update(_ c: inout RequestContext) async throws -> Response {
        let raw = try c.rawBodyNotingDuplicates()
        let body = try validateFields(&c, raw)
        var obj = try c.decodeBody(body)
        let bodyName = obj["metadata", "name"]?.string ?? ""
        if bodyName.isEmpty {
            obj["metadata", "name"] = .string(c.info.name)
        } else if bodyName != c.info.name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(c.info.name))")
        }
        let target: ResourceStore.UpdateTarget = c.info.subresource == "status" ? .status : .main
        let (result, created) = try await store.updateWritten(c.type, namespace: c.namespace, name: c.info.name, obj, target: target,
                                                              dryRun: c.dryRun, manager: c.fieldManager)
        return c.respond(result, status: created ? .created : .ok)
    }

    func patch(_ c: inout RequestContext) async throws -> Response {
        let patchType = c.request.contentType
        let target: ResourceStore.UpdateTarget = c.info.subresource == "status" ? .status : .main
        if patchType == "application/apply-patch+yaml" {
            return try await apply(&c)
        }
        let body = c.request.body
        var context = c
        let result = try await store.guaranteedUpdateWritten(c.type, namespace: c.namespace, name: c.info.name, dryRun: c.dryRun,
                                                             manager: c.fieldManager) { current throws(APIError) in
            let versioned = context.output(current)
            var patched = try Patching.apply(body, contentType: patchType, to: versioned, kind: context.type)
            do { patched = try self.validateFields(&context, patched, isPatchResult: true) } catch let e as APIError { throw e } catch {
                throw .internalError("\(error)")
            }
            if let conversion = context.conversion { patched = conversion.toStorage(patched) }
            patched["apiVersion"] = current["apiVersion"]
            patched["kind"] = current["kind"]
            if patched["metadata", "resourceVersion"] == nil || patched["metadata", "resourceVersion"] == .null {
                patched["metadata", "resourceVersion"] = current["metadata", "resourceVersion"]
            } else if patched["metadata", "resourceVersion"] != current["metadata", "resourceVersion"] {
                throw .conflict(context.type.groupResource, context.info.name, APIError.optimisticLockMessage)
            }
            return patched
        } target: { target }
        c.warnings = context.warnings
        return c.respond(result)
    }

    func delete(_ c: inout RequestContext) async throws -> Response {
        let body = c.request.body.isEmpty ? nil : try BodyDecoder.decode(c.request.body, contentType: c.request.contentType)
        let options = try DeleteOptions(body: body, query: c.query)
        switch try await store.delete(c.type, namespace: c.namespace, name: c.info.name, options: options) {
        case .pending(let obj):
            return .json(c.output(obj), status: .ok)
        case .deleted(let obj):
            if c.type.strategy.returnsDeletedObject { return .json(c.output(obj)) }
            var details: JSON = ["name": .string(c.info.name), "kind": .string(c.type.plural)]
            if !c.type.group.isEmpty { details["group"] = .string(c.type.group) }
            if let uid = obj["metadata", "uid"] { details["uid"] = uid }
            return .json(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details])
        }
    }

    func deleteCollection(_ c: inout RequestContext) async throws -> Response {
        let body = c.request.body.isEmpty ? nil : try BodyDecoder.decode(c.request.body, contentType: c.request.contentType)
        let options = try DeleteOptions(body: body, query: c.query)
        let opts = try c.listOptions()
        let page = try await listPage(c, opts)
        var deleted: [JSON] = []
        for item in page.items {
            let result: DeleteResult
            do {
                result = try await store.delete(c.type, namespace: item.namespace.isEmpty ? nil : item.namespace, name: item.name, options: options)
            } catch {
                if error.code == 404 { continue }  // deleted meanwhile
                throw error
            }
            switch result {
            case .deleted(let o), .pending(let o): deleted.append(c.output(o))
            }
        }
        return .json(["kind": .string("\(c.type.kind)List"), "apiVersion": .string(c.apiVersion),
                      "metadata": ["resourceVersion": .string(String(await store.cache.revision))], "items": .array(deleted)])
    }

    /// `fieldValidation` (and kubectl's `--validate`): unknown and duplicate fields are an error
    /// (Strict), a warning (Warn, the default), or ignored (Ignore). Returns `body` without its
    /// unknown fields, as Kubernetes' typed decoding drops them. `body` is in the requested version.
    func validateFields(_ c: inout RequestContext, _ body: JSON, isPatchResult: Bool = false) throws -> JSON {
        let mode = c.query["fieldValidation"] ?? "Warn"
        guard ["Strict", "Warn", "Ignore"].contains(mode) else {
            throw APIError.badRequest("fieldValidation parameter unsupported: \(mode)")
        }
        let gvk = GroupVersionKind(group: c.type.group, version: c.info.version, kind: c.type.kind)
        // A custom resource is checked (and pruned) against its version's openAPIV3Schema.
        let unknown: [String]
        if let cr = c.type.strategy as? CustomResourceStrategy {
            unknown = cr.schema.map { Schema.builtin.unknownFields(in: body, schema: $0) } ?? []
        } else {
            let problems = Schema.builtin.decodingProblems(in: body, gvk: gvk)
            if let error = problems.error { throw error }
            unknown = problems.unknownFields
        }
        let pruned = unknown.reduce(body) { $0.removing(fieldPath: $1) }
        guard mode != "Ignore" else { return pruned }
        let duplicates = isPatchResult || !c.request.contentType.hasSuffix("json") || !c.bodyMayHaveDuplicates
            ? [] : (try? JSON.duplicateFields(in: c.request.body)) ?? []
        let problems = duplicates.map { "duplicate field \"\($0)\"" } + unknown.map(Schema.unknownFieldWarning)
        guard !problems.isEmpty else { return pruned }
        if mode == "Strict" {
            let message = "strict decoding error: " + problems.joined(separator: ", ")
            throw isPatchResult ? APIError.badRequest(message) : Schema.cannotBeHandled(gvk: gvk, message)
        }
        c.warnings += problems
        return pruned
    }
}
