/// Data plugins compute in one scheduling cycle and read later in it (`framework.CycleState`):
/// PreFilter results for Filter, PreScore results for Score.
///
/// Lives in the scheduling task only (not `Sendable`). Each plugin stores under its own key.
public final class CycleState {
    var storage: [String: Any] = [:]
    /// Plugins whose PreFilter returned `skip`: their Filter is not run.
    public internal(set) var skipFilter: Set<String> = []
    /// Plugins whose PreScore returned `skip`: their Score is not run.
    public internal(set) var skipScore: Set<String> = []

    public init() {}

    public func write<T>(_ key: String, _ value: T) { storage[key] = value }

    public func read<T>(_ key: String, as type: T.Type = T.self) -> T? { storage[key] as? T }
}
