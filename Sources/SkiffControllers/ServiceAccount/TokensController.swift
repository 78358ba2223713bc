import Foundation
import Logging
import SkiffClient
import SkiffModel

/// Fills `kubernetes.io/service-account-token` Secrets (kube-controller-manager's legacy
/// serviceaccount-token controller, which since Kubernetes 1.24 serves only Secrets people create):
/// `data.token` (a token without expiry, signed by `sign`), `data.ca.crt` and `data.namespace`,
/// and the `kubernetes.io/service-account.uid` annotation. A token Secret whose ServiceAccount is
/// gone (or has another uid than the annotation says) is deleted.
///
/// Keys are `namespace/name` of Secrets; a deleted ServiceAccount enqueues its token Secrets.
public struct TokensController: Sendable {
    /// Signs a legacy token: (namespace, ServiceAccount name, ServiceAccount uid, Secret name).
    public typealias Signer = @Sendable (String, String, String, String) throws -> String

    public static let secretType = "kubernetes.io/service-account-token"
    public static let nameAnnotation = "kubernetes.io/service-account.name"
    public static let uidAnnotation = "kubernetes.io/service-account.uid"

    public struct Configuration: Sendable {
        /// The cluster CA written as `ca.crt`, PEM.
        public var caPEM: String
        public var sign: Signer
        /// Secrets reconciled at once. Default 2.
        public var workers = 2

        public init(caPEM: String, sign: @escaping Signer) {
            self.caPEM = caPEM
            self.sign = sign
        }
    }

    public let configuration: Configuration
    let client: Client
    let secrets: Lister
    let serviceAccounts: Lister
    let queue = WorkQueue<String>(name: "serviceaccount_tokens")
    let synced: [Informer]
    let logger: Logger

    public init(configuration: Configuration, client: Client, informers: SharedInformers, logger: Logger) {
        self.configuration = configuration
        self.client = client
        let secretInformer = informers.informer(for: .secrets)
        let saInformer = informers.informer(for: .serviceAccounts)
        secrets = secretInformer.lister
        serviceAccounts = saInformer.lister
        let queue = self.queue
        let tokenSecret: @Sendable (JSON) async -> Void = { s in
            if s["type"]?.string == Self.secretType { await queue.add(ObjectKey.of(s)) }
        }
        secretInformer.addEventHandler(EventHandler(onAdd: tokenSecret, onUpdate: { _, new in await tokenSecret(new) }))
        let secretLister = secrets
        saInformer.addEventHandler(EventHandler(onDelete: { sa in
            let ns = sa["metadata", "namespace"]?.string ?? "", name = sa["metadata", "name"]?.string
            for s in secretLister.list(namespace: ns) where s["type"]?.string == Self.secretType
                && s["metadata", "annotations", Self.nameAnnotation]?.string == name {
                await queue.add(ObjectKey.of(s))
            }
        }))
        synced = [secretInformer, saInformer]
        self.logger = logger
    }

    /// Waits for the caches, then reconciles token Secrets until cancelled.
    public func run() async throws {
        try await ControllerRunner(name: "serviceaccount-token", informers: synced, queue: queue, workers: configuration.workers,
                                   logger: logger) { key in try await self.reconcile(key) }.run()
    }

    public func reconcile(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, var secret = secrets.get(namespace: parts[0], name: parts[1]),
              secret["type"]?.string == Self.secretType, secret["metadata", "deletionTimestamp"] == nil else { return }
        let (ns, name) = (parts[0], parts[1])
        let saName = secret["metadata", "annotations", Self.nameAnnotation]?.string ?? ""
        let wantedUID = secret["metadata", "annotations", Self.uidAnnotation]?.string ?? ""
        // The lister may lag a ServiceAccount created just now: ask the server before deleting.
        var sa = serviceAccounts.get(namespace: ns, name: saName)
        if sa == nil { sa = try? await client.get(.serviceAccounts, namespace: ns, name: saName) }
        guard let sa, let uid = sa["metadata", "uid"]?.string, wantedUID.isEmpty || wantedUID == uid else {
            do { _ = try await client.delete(.secrets, namespace: ns, name: name) } catch let e as APIError where e.isNotFound {}
            logger.info("token secret of a missing service account deleted", metadata: ["k8s.namespace": "\(ns)", "k8s.name": "\(name)"])
            return
        }
        var data = secret["data"]?.members ?? [:]
        func has(_ k: String) -> Bool { !(data[k]?.string ?? "").isEmpty }
        if has("token"), has("ca.crt"), has("namespace"), wantedUID == uid { return }
        if !has("token") || wantedUID != uid {
            let token = try configuration.sign(ns, saName, uid, name)
            data["token"] = .string(Data(token.utf8).base64EncodedString())
        }
        data["ca.crt"] = .string(Data(configuration.caPEM.utf8).base64EncodedString())
        data["namespace"] = .string(Data(ns.utf8).base64EncodedString())
        secret["data"] = .object(data)
        secret["metadata", "annotations", Self.uidAnnotation] = .string(uid)
        do {
            _ = try await client.update(.secrets, secret)
        } catch let e as APIError where e.isNotFound {
            return
        }
    }
}
