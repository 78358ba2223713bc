import Synchronization
import SkiffModel

/// Every resource the server serves, looked up by group, version and plural (or kind).
/// Built-in kinds are fixed; custom resources come and go with their definitions.
public final class Registry: Sendable {
    struct State {
        var byGroupResource: [GroupResource: ResourceType] = [:]
        var byKeyPrefix: [String: ResourceType] = [:]
    }

    let state: Mutex<State>

    public init(_ types: [ResourceType]) {
        var s = State()
        for t in types {
            s.byGroupResource[t.groupResource] = t
            if t.sharedStorage == nil { s.byKeyPrefix[t.keyPrefix] = t }
        }
        state = Mutex(s)
    }

    public func add(_ type: ResourceType) {
        state.withLock {
            $0.byGroupResource[type.groupResource] = type
            $0.byKeyPrefix[type.keyPrefix] = type
        }
    }

    public func remove(_ resource: GroupResource) {
        state.withLock {
            if let t = $0.byGroupResource.removeValue(forKey: resource) { $0.byKeyPrefix[t.keyPrefix] = nil }
        }
    }

    /// The resource served at `group`/`version` named `plural`, if that version is served.
    public func lookup(group: String, version: String, plural: String) -> ResourceType? {
        guard let t = state.withLock({ $0.byGroupResource[GroupResource(group: group, resource: plural)] }) else { return nil }
        return t.versions.contains(version) ? t : nil
    }

    public func lookup(_ resource: GroupResource) -> ResourceType? {
        state.withLock { $0.byGroupResource[resource] }
    }

    /// The resource a storage key belongs to.
    public func type(forKey key: String) -> ResourceType? {
        guard let prefix = Registry.keyPrefix(of: key) else { return nil }
        return state.withLock { $0.byKeyPrefix[prefix] }
    }

    public var all: [ResourceType] {
        state.withLock { Array($0.byGroupResource.values) }.sorted { ($0.group, $0.plural) < ($1.group, $1.plural) }
    }

    /// `/registry/<g>/<plural>/` of a key.
    static func keyPrefix(of key: String) -> String? {
        var slashes = 0
        var idx = key.startIndex
        while idx < key.endIndex {
            if key[idx] == "/" {
                slashes += 1
                if slashes == 4 { return String(key[...idx]) }
            }
            idx = key.index(after: idx)
        }
        return nil
    }
}
