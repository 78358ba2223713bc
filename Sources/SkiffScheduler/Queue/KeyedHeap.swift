/// A binary heap of elements with unique string keys, supporting update and removal by key in
/// O(log n) (`internal/heap` of kube-scheduler).
struct KeyedHeap<Element: Sendable>: Sendable {
    private var items: [(key: String, value: Element)] = []
    private var positions: [String: Int] = [:]
    private let less: @Sendable (Element, Element) -> Bool

    init(less: @escaping @Sendable (Element, Element) -> Bool) {
        self.less = less
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var first: Element? { items.first?.value }

    func contains(_ key: String) -> Bool { positions[key] != nil }

    func get(_ key: String) -> Element? { positions[key].map { items[$0].value } }

    var values: [Element] { items.map(\.value) }

    /// Adds, or replaces the element with the same key.
    mutating func push(_ key: String, _ value: Element) {
        if let i = positions[key] {
            items[i].value = value
            siftUp(i)
            siftDown(positions[key]!)
            return
        }
        items.append((key, value))
        positions[key] = items.count - 1
        siftUp(items.count - 1)
    }

    @discardableResult
    mutating func remove(_ key: String) -> Element? {
        guard let i = positions[key] else { return nil }
        let value = items[i].value
        let last = items.count - 1
        if i != last {
            swap(i, last)
        }
        items.removeLast()
        positions[key] = nil
        if i < items.count {
            siftUp(i)
            siftDown(i)
        }
        return value
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        remove(top.key)
        return top.value
    }

    private mutating func swap(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        positions[items[a].key] = a
        positions[items[b].key] = b
    }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(items[i].value, items[parent].value) else { return }
            swap(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && less(items[l].value, items[m].value) { m = l }
            if r < items.count && less(items[r].value, items[m].value) { m = r }
            if m == i { return }
            swap(i, m)
            i = m
        }
    }
}
