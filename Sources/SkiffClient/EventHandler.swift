import SkiffModel

/// What an informer calls for each change it applies to its cache.
///
/// Calls are made one at a time, in the order of the changes, from the informer's own task, and
/// after the cache already reflects the change. A handler should only record the change (enqueue
/// a key): the informer waits for it before applying the next event.
///
/// `onDelete` gets the object's last known state. After a relist, objects that vanished meanwhile
/// are reported to `onDelete`, objects whose resourceVersion changed to `onUpdate`, and new ones to
/// `onAdd`.
public struct EventHandler: Sendable {
    public var onAdd: @Sendable (JSON) async -> Void
    public var onUpdate: @Sendable (_ old: JSON, _ new: JSON) async -> Void
    public var onDelete: @Sendable (JSON) async -> Void

    public init(onAdd: @escaping @Sendable (JSON) async -> Void = { _ in },
                onUpdate: @escaping @Sendable (_ old: JSON, _ new: JSON) async -> Void = { _, _ in },
                onDelete: @escaping @Sendable (JSON) async -> Void = { _ in }) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }

    /// A handler that adds the changed object's key (`namespace/name`) to `queue` on every event:
    /// the usual handler of a level-triggered controller.
    public static func enqueue(into queue: WorkQueue<String>) -> EventHandler {
        EventHandler(onAdd: { await queue.add(ObjectKey.of($0)) },
                     onUpdate: { _, new in await queue.add(ObjectKey.of(new)) },
                     onDelete: { await queue.add(ObjectKey.of($0)) })
    }
}
