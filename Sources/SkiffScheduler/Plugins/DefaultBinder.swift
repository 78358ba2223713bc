import SkiffClient
import SkiffModel

/// Binds a Pod by posting a `Binding` to its `binding` subresource.
public struct DefaultBinder: BindPlugin {
    public static let name = "DefaultBinder"
    public var name: String { Self.name }
    let client: Client?

    public init(client: Client?) {
        self.client = client
    }

    /// The `v1/Binding` object for `pod` and `node`.
    public static func binding(_ pod: PodInfo, node: String) -> JSON {
        ["apiVersion": "v1", "kind": "Binding",
         "metadata": ["name": .string(pod.name), "namespace": .string(pod.namespace), "uid": .string(pod.uid)],
         "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)]]
    }

    public func bind(_ pod: PodInfo, node: String) async -> Status {
        guard let client else { return .error("no API client to bind with") }
        do {
            _ = try await client.create(.pods, namespace: pod.namespace, name: pod.name, subresource: "binding",
                                        Self.binding(pod, node: node))
            return .success
        } catch {
            return .error("\(error)")
        }
    }
}
