extension WorkQueue {
    /// Queues `key` once `delay` has passed (at once if it is not positive). A key already waiting
    /// keeps the earlier of its two times. Counts as a retry. Ignored after `shutDown()`.
    public func addAfter(_ key: Key, _ delay: Duration) {
        if shuttingDown { return }
        retries += 1
        if delay <= .zero {
            add(key)
            return
        }
        if delayed.insert(key, readyAt: clock.now() + delay) {
            wakeAll()  // a waiting get() may need an earlier deadline
        }
    }

    /// Queues `key` after its back-off: the larger of the key's exponential delay and the overall
    /// token bucket's.
    public func addRateLimited(_ key: Key) {
        if shuttingDown { return }
        let itemDelay = backoff.next(key)
        let bucketDelay = bucket.reserve(at: clock.now())
        addAfter(key, max(itemDelay, bucketDelay))
    }

    /// Clears `key`'s back-off (call after it was processed successfully). It stays queued if it is.
    public func forget(_ key: Key) {
        backoff.forget(key)
    }

    /// How many times `key` was rate-limited since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int {
        backoff.failures(key)
    }

    /// Moves the keys whose delay has passed into the queue, earliest first.
    func promoteDue() {
        guard !delayed.isEmpty else { return }
        let now = clock.now()
        while let key = delayed.popDue(now: now) {
            add(key)
        }
    }
}

/// Keys waiting for a time, earliest first; each key at most once, at its earliest time.
struct DelayHeap<Key: Hashable & Sendable>: Sendable {
    struct Entry: Sendable {
        var readyAt: Duration
        var sequence: Int
        var key: Key

        func before(_ other: Entry) -> Bool { (readyAt, sequence) < (other.readyAt, other.sequence) }
    }

    var heap: [Entry] = []
    /// The live time of each waiting key; heap entries with another time are stale.
    var readyAt: [Key: Duration] = [:]
    var sequence = 0

    var count: Int { readyAt.count }
    var isEmpty: Bool { readyAt.isEmpty }

    /// The earliest time a key becomes ready.
    var earliest: Duration? {
        mutating get {
            dropStale()
            return heap.first?.readyAt
        }
    }

    /// Adds `key` at `time` unless it already waits for an earlier one. Returns whether it changed.
    mutating func insert(_ key: Key, readyAt time: Duration) -> Bool {
        if let existing = readyAt[key], existing <= time { return false }
        readyAt[key] = time
        sequence += 1
        heap.append(Entry(readyAt: time, sequence: sequence, key: key))
        siftUp(heap.count - 1)
        return true
    }

    /// Removes and returns the earliest key whose time is at or before `now`.
    mutating func popDue(now: Duration) -> Key? {
        dropStale()
        guard let top = heap.first, top.readyAt <= now else { return nil }
        removeTop()
        readyAt[top.key] = nil
        return top.key
    }

    mutating func dropStale() {
        while let top = heap.first, readyAt[top.key] != top.readyAt { removeTop() }
    }

    mutating func removeTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].before(heap[m]) { m = l }
            if r < heap.count && heap[r].before(heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
