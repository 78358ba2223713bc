import SkiffClient
import SkiffModel

/// Adopts and releases the objects a controller owns by selector (kube-controller-manager's
/// `ControllerRefManager`): a ReplicaSet or Job its Pods, a Deployment its ReplicaSets.
///
/// `claim` keeps the candidates the controller owns and its selector matches; releases (removes
/// the controller reference from) owned objects that stopped matching; adopts orphans that match,
/// unless the controller or the orphan is being deleted. Objects owned by another controller are
/// ignored. Before the first adoption the controller is read from the server (not the cache): a
/// controller that was deleted, or replaced by one with the same name, never adopts.
///
/// Adoption and release are strategic merge patches with the object's UID as a precondition, so
/// they never touch a different object of the same name. Adoption also adds
/// `adoptionFinalizers` (a Job's tracking finalizer).
struct ControllerRefManager {
    let client: Client
    /// The controller as the cache has it.
    let controller: JSON
    let controllerResource: Resource
    /// The resource of the objects it owns.
    let ownedResource: Resource
    let selector: LabelSelector
    var adoptionFinalizers: [String] = []

    /// The candidates the controller owns after adoption and release, in the given order.
    /// Throws the first adopt or release error after trying every candidate (the controller
    /// requeues and tries again).
    func claim(_ candidates: [JSON]) async throws -> [JSON] {
        var claimed: [JSON] = []
        var firstError: (any Error)?
        var adoptionChecked = false
        let uid = controller.objectUID
        for object in candidates {
            if let ref = object.controllerRef {
                guard ref["uid"]?.string == uid else { continue }
                if selector.matches(object.objectLabels) {
                    claimed.append(object)
                    continue
                }
                if controller.isBeingDeleted { continue }
                do {
                    try await release(object)
                } catch let e as APIError where e.isNotFound {
                    continue
                } catch {
                    firstError = firstError ?? error
                }
                continue
            }
            guard !controller.isBeingDeleted, selector.matches(object.objectLabels), !object.isBeingDeleted,
                  object.objectNamespace == controller.objectNamespace else { continue }
            do {
                if !adoptionChecked {
                    try await checkCanAdopt()
                    adoptionChecked = true
                }
                claimed.append(try await adopt(object))
            } catch let e as APIError where e.isNotFound {
                continue
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return claimed
    }

    /// Fails if the controller is gone, replaced, or being deleted (RecheckDeletionTimestamp).
    func checkCanAdopt() async throws {
        let fresh = try await client.get(controllerResource, namespace: controller.objectNamespace, name: controller.objectName)
        if fresh.objectUID != controller.objectUID {
            throw ClaimError(message: "original \(controllerResource.kind) \(ObjectKey.of(controller)) is gone: got uid \(fresh.objectUID), wanted \(controller.objectUID)")
        }
        if fresh.isBeingDeleted {
            throw ClaimError(message: "\(controllerResource.kind) \(ObjectKey.of(controller)) has just been deleted")
        }
    }

    func adopt(_ object: JSON) async throws -> JSON {
        let ref = JSON.controllerReference(to: controller, apiVersion: controllerResource.apiVersion, kind: controllerResource.kind)
        var patch: JSON = ["metadata": ["ownerReferences": [ref], "uid": .string(object.objectUID)]]
        if !adoptionFinalizers.isEmpty { patch["metadata", "finalizers"] = .array(adoptionFinalizers.map(JSON.string)) }
        return try await client.patch(ownedResource, namespace: object.objectNamespace, name: object.objectName,
                                      type: .strategicMerge, patch)
    }

    func release(_ object: JSON) async throws {
        let patch: JSON = ["metadata": ["ownerReferences": [["$patch": "delete", "uid": .string(controller.objectUID)]],
                                        "uid": .string(object.objectUID)]]
        _ = try await client.patch(ownedResource, namespace: object.objectNamespace, name: object.objectName,
                                   type: .strategicMerge, patch)
    }
}

/// A controller may not adopt: it is gone or being deleted.
struct ClaimError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
