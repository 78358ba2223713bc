import Synchronization

/// A value set once and awaited by any number of waiters.
final class OneShot<T: Sendable>: Sendable {
    private let state = Mutex<(value: T?, waiters: [CheckedContinuation<T, Never>])>((nil, []))

    /// Sets the value unless it is already set; wakes the waiters.
    func resume(_ value: T) {
        let waiters: [CheckedContinuation<T, Never>] = state.withLock { s in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: value) }
    }

    var value: T {
        get async {
            await withCheckedContinuation { cont in
                let ready: T? = state.withLock { s in
                    if let v = s.value { return v }
                    s.waiters.append(cont)
                    return nil
                }
                if let ready { cont.resume(returning: ready) }
            }
        }
    }
}

/// The result of `operation`, or nil when `seconds` pass first (nil: no limit) or the calling
/// task is cancelled. The operation goes on in the background until it ends by itself: this is
/// for waits that cannot be cancelled, such as a container's exit.
func awaitLimited<T: Sendable>(seconds: Double?, _ operation: @escaping @Sendable () async -> T) async -> T? {
    let box = OneShot<T?>()
    // Unstructured on purpose: the operation (a wait on a process) cannot be cancelled, and the
    // caller must not wait for it beyond the limit.
    Task { box.resume(await operation()) }
    if let seconds {
        Task {
            try? await Task.sleep(for: .milliseconds(Int64(max(seconds, 0) * 1000)))
            box.resume(nil)
        }
    }
    return await withTaskCancellationHandler { await box.value } onCancel: { box.resume(nil) }
}
