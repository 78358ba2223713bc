import Foundation
import SkiffModel

/// Why a container's image is not available: the waiting reason and message.
struct ImageFailure: Error, Sendable {
    var reason: String
    var message: String
}

extension PodWorker {
    /// `imagePullPolicy` as Kubernetes defaults it: Always for `:latest` or no tag (without a
    /// digest), else IfNotPresent.
    static func pullPolicy(_ c: JSON) -> String {
        if let p = c["imagePullPolicy"]?.string, !p.isEmpty { return p }
        let image = c["image"]?.string ?? ""
        guard let ref = try? ImageReference(parsing: image) else { return "IfNotPresent" }
        if ref.digest != nil { return "IfNotPresent" }
        return ref.tag == nil || ref.tag == "latest" ? "Always" : "IfNotPresent"
    }

    /// The container's image, pulled when its policy asks for it, with the kubelet's events.
    func ensureImage(_ c: JSON, kind: Kind) async -> Result<ImageStore.Image, ImageFailure> {
        let cname = c["name"]?.string ?? ""
        let image = c["image"]?.string ?? ""
        guard !image.isEmpty, (try? ImageReference(parsing: image)) != nil else {
            return .failure(ImageFailure(reason: "InvalidImageName", message: "Failed to apply default image tag \"\(image)\": invalid reference format"))
        }
        let policy = Self.pullPolicy(c)
        let present = await agent.images.image(image)
        if let present, policy != "Always" {
            event(cname, kind, "Pulled", "Container image \"\(image)\" already present on machine")
            return .success(present)
        }
        if policy == "Never" {
            let message = "Container image \"\(image)\" is not present with pull policy of Never"
            event(cname, kind, warning: true, "ErrImageNeverPull", message)
            return .failure(ImageFailure(reason: "ErrImageNeverPull", message: message))
        }
        event(cname, kind, "Pulling", "Pulling image \"\(image)\"")
        let began = Timestamp.now()
        do {
            let client = try await registryClient()
            let pulled = try await agent.images.pull(image, using: client)
            if client !== agent.registry { await client.shutdown() }
            let took = String(format: "%.3fs", Timestamp.now() - began)
            event(cname, kind, "Pulled", "Successfully pulled image \"\(image)\" in \(took) (\(took) including waiting)")
            return .success(pulled)
        } catch {
            let message = "Failed to pull image \"\(image)\": \(error)"
            event(cname, kind, warning: true, "Failed", message)
            event(cname, kind, warning: true, "Failed", "Error: ErrImagePull")
            return .failure(ImageFailure(reason: "ErrImagePull", message: message))
        }
    }

    /// The agent's registry client, or one that also has the Pod's `imagePullSecrets`.
    func registryClient() async throws -> RegistryClient {
        let names = (pod["spec", "imagePullSecrets"]?.array ?? []).compactMap { $0["name"]?.string }
        guard !names.isEmpty else { return agent.registry }
        var credentials = RegistryCredentials()
        for n in names {
            guard let secret = try await getOptional(.secrets, n) else { continue }
            let key = secret["type"]?.string == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
            guard let b64 = secret["data", key]?.string, let data = Data(base64Encoded: b64) else { continue }
            if let parsed = try? RegistryCredentials(dockerConfigJSON: Array(data)) { credentials.merge(parsed) }
        }
        var configuration = agent.registry.configuration
        var merged = configuration.credentials
        merged.merge(credentials)  // the Pod's secrets win over the node's own
        configuration.credentials = merged
        return RegistryClient(configuration: configuration)
    }
}
