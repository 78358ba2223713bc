import SkiffModel

extension APIServer {
    /// How often a watch that allows bookmarks gets one.
    static let bookmarkInterval: Duration = .seconds(60)

    /// When the next bookmark is due, as kube-apiserver's cache watcher schedules them: a minute
    /// from now, or 2s before the watch's deadline if that comes first (so a client that
    /// restarts on timeout resumes from a recent resourceVersion); nil once that moment is past.
    static func nextBookmark(now: ContinuousClock.Instant, deadline: ContinuousClock.Instant?) -> ContinuousClock.Instant? {
        var next = now + bookmarkInterval
        if let deadline, deadline - .seconds(2) < next { next = deadline - .seconds(2) }
        return next < now ? nil : next
    }

    /// A watch: a chunked stream of `{"type":..., "object":...}` lines until the client goes away
    /// or `timeoutSeconds` passes.
    func watch(_ c: inout RequestContext) async throws -> Response {
        var opts = try c.listOptions()
        if !c.info.name.isEmpty {
            let nameSelector = FieldSelector.name(c.info.name)
            opts.fieldSelector = opts.fieldSelector.map { $0.and(nameSelector) } ?? nameSelector
        }
        let keyPrefix = c.type.key(namespace: c.namespace, name: nil)
        var after: Int64? = nil
        if let rv = opts.resourceVersion.flatMap(Int64.init), rv > 0, opts.sendInitialEvents != true {
            await store.cache.waitUntil(rv)
            after = rv
        } else {
            await store.sync()
        }
        let started: (initial: [CachedObject], stream: AsyncStream<CacheEvent>, revision: Int64)
        do {
            started = try await store.cache.watch(resourcePrefix: c.type.keyPrefix, keyPrefix: keyPrefix, after: after)
        } catch {
            // Kubernetes answers a too-old watch with 200 and one ERROR event.
            let line = WatchLine.encode(type: "ERROR", object: error.status)
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(line))
        }
        let context = c
        let timeout = opts.timeoutSeconds.map { Duration.seconds($0) }
        let bookmarks = opts.allowWatchBookmarks
        let initialEnd = opts.sendInitialEvents == true && bookmarks
        let output: WatchOutput
        let body: Response.Body
        if c.request.wantsWatchObjects && c.format == .object && c.conversion == nil {
            let (events, continuation) = AsyncStream<WatchObjectEvent>.makeStream()
            (output, body) = (.objects(continuation), .events(events))
        } else {
            let (lines, continuation) = AsyncStream<[UInt8]>.makeStream()
            (output, body) = (.lines(continuation), .stream(lines))
        }
        // The pump lives exactly as long as the response stream: cancelled when the client goes away.
        let pump = Task {
            var encoder = WatchEncoder(context: context, options: opts)
            for obj in started.initial where opts.matches(obj) {
                encoder.send("ADDED", obj, parsed: nil, to: output)
            }
            if initialEnd {
                output.send(type: "BOOKMARK", encoder.bookmark(started.revision, initialEventsEnd: true))
            }
            let afterInitial = encoder
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var events = afterInitial
                    for await event in started.stream {
                        guard let type = events.type(of: event) else { continue }
                        events.send(type, event.object, parsed: event.parsed, to: output)
                    }
                }
                if let timeout {
                    group.addTask { try? await Task.sleep(for: timeout) }
                }
                if bookmarks {
                    let deadline = timeout.map { ContinuousClock.now + $0 }
                    group.addTask {
                        while !Task.isCancelled {
                            guard let next = APIServer.nextBookmark(now: .now, deadline: deadline) else {
                                // No bookmark is due before the deadline: wait for the timeout.
                                try? await Task.sleep(for: .seconds(86_400))
                                continue
                            }
                            try? await Task.sleep(until: next)
                            if Task.isCancelled { break }
                            let revision = await self.store.cache.revision
                            output.send(type: "BOOKMARK", afterInitial.bookmark(revision, initialEventsEnd: false))
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            output.finish()
        }
        output.onTermination { pump.cancel() }
        return Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-cache, private"], body: body)
    }
}

/// Where a watch's events go: lines for a socket, or objects for a client in this process.
enum WatchOutput: Sendable {
    case lines(AsyncStream<[UInt8]>.Continuation)
    case objects(AsyncStream<WatchObjectEvent>.Continuation)

    func send(type: String, _ object: JSON) {
        switch self {
        case .lines(let c): c.yield(WatchLine.encode(type: type, object: object))
        case .objects(let c): c.yield(WatchObjectEvent(type: type, object: object))
        }
    }

    func finish() {
        switch self {
        case .lines(let c): c.finish()
        case .objects(let c): c.finish()
        }
    }

    func onTermination(_ action: @escaping @Sendable () -> Void) {
        switch self {
        case .lines(let c): c.onTermination = { _ in action() }
        case .objects(let c): c.onTermination = { _ in action() }
        }
    }
}

/// Turns cache events into watch lines for one watcher: selector filtering (an object that stops
/// matching is sent as DELETED), version conversion, and Table rows for `kubectl get -w`.
struct WatchEncoder: Sendable {
    let context: RequestContext
    let options: ListOptions
    var sentColumns = false

    init(context: RequestContext, options: ListOptions) {
        self.context = context
        self.options = options
    }

    /// The event's type for this watcher, or nil when its selectors filter the event out.
    func type(of event: CacheEvent) -> String? {
        let now = options.matches(event.object)
        let before = event.previous.map(options.matches) ?? false
        switch event.kind {
        case .added: return now ? "ADDED" : nil
        case .modified:
            if now && before { return "MODIFIED" }
            if now { return "ADDED" }
            if before { return "DELETED" }
            return nil
        case .deleted:
            return (event.previous.map(options.matches) ?? now) ? "DELETED" : nil
        }
    }

    /// Sends one event: as a line, or as the object (`parsed` when the cache has it at hand).
    mutating func send(_ type: String, _ obj: CachedObject, parsed: JSON?, to output: WatchOutput) {
        if case .lines(let c) = output {
            c.yield(line(type, obj))
        } else {
            output.send(type: type, parsed ?? obj.object)
        }
    }

    mutating func line(_ type: String, _ obj: CachedObject) -> [UInt8] {
        switch context.format {
        case .object:
            return WatchLine.encode(type: type, raw: context.outputBytes(obj))
        case .table:
            let table = Table.make(context, [obj], listMeta: ["resourceVersion": .string(String(obj.revision))], withColumns: !sentColumns)
            sentColumns = true
            return WatchLine.encode(type: type, object: table)
        case .metadata:
            return WatchLine.encode(type: type, object: Table.partialMetadata(obj.object))
        }
    }

    func bookmark(_ revision: Int64, initialEventsEnd: Bool) -> JSON {
        var meta: JSON = ["resourceVersion": .string(String(revision))]
        if initialEventsEnd { meta["annotations"] = ["k8s.io/initial-events-end": "true"] }
        return ["kind": .string(context.type.kind), "apiVersion": .string(context.apiVersion), "metadata": meta]
    }
}

enum WatchLine {
    static func encode(type: String, object: JSON) -> [UInt8] {
        encode(type: type, raw: object.serialized())
    }

    static func encode(type: String, raw: [UInt8]) -> [UInt8] {
        var out = Array("{\"type\":\"\(type)\",\"object\":".utf8)
        out += raw
        out += Array("}\n".utf8)
        return out
    }
}
