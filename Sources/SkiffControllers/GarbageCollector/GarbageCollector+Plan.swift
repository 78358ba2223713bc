import SkiffClient

extension GarbageCollector {
    /// How a dependent sees one of its owners.
    enum OwnerState: Sendable, Equatable {
        /// The owner exists and is not waiting for its dependents: the dependent stays.
        case solid
        /// No object with the owner's UID exists.
        case dangling
        /// The owner is being deleted in the foreground: its dependents go first.
        case waitingForDependentsDeletion
    }

    /// What the collector does with an object that has owners and is not being deleted.
    enum Action: Sendable, Equatable {
        case none
        /// Drop the references to these owner UIDs (another owner keeps the object alive).
        case removeOwnerReferences(Set<String>)
        /// Delete the object with this propagation.
        case delete(Client.DeleteOptions.Propagation)
    }

    /// Kubernetes' `attemptToDeleteItem` decision: with at least one solid owner, only references
    /// to dangling or waiting owners are removed; with none, the object is deleted, in the
    /// foreground when an owner waits for it and it has dependents of its own, else with the
    /// propagation its finalizers ask for (orphan, foreground), else in the background.
    static func plan(finalizers: [String], owners: [(uid: String, state: OwnerState)], hasDependents: Bool) -> Action {
        guard !owners.isEmpty else { return .none }
        let solid = owners.filter { $0.state == .solid }
        let others = Set(owners.filter { $0.state != .solid }.map(\.uid))
        if !solid.isEmpty {
            return others.isEmpty ? .none : .removeOwnerReferences(others)
        }
        if hasDependents && owners.contains(where: { $0.state == .waitingForDependentsDeletion }) {
            return .delete(.foreground)
        }
        if finalizers.contains(orphanFinalizer) { return .delete(.orphan) }
        if finalizers.contains(foregroundFinalizer) { return .delete(.foreground) }
        return .delete(.background)
    }
}
