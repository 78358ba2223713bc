import ArgumentParser
import Foundation
import SkiffNodeAgent

/// `skiff image import|pull|ls|rm|prune`: the node's image store, for air-gapped nodes and debugging.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage the node's images.",
        subcommands: [Import.self, Pull.self, List.self, Remove.self, Prune.self])

    struct StoreOptions: ParsableArguments {
        @Option(help: "Skiff's data directory (default: /var/lib/skiff as root, ~/.skiff otherwise); images live in <data-dir>/images.")
        var dataDir: String?

        func open() throws -> ImageStore {
            let dir = dataDir ?? DataDir.default
            return try ImageStore(root: dir + "/images")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import images from an OCI layout (directory or tar) or a `docker save` tar.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Name for images the archive tags only with a bare tag (OCI layouts), e.g. busybox.")
        var name: String?
        @Argument(help: "The archive.") var file: String

        func run() async throws {
            for image in try await store.open().importArchive(file, baseName: name) {
                print("\(image.name) \(image.digest)")
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pull an image from its registry.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A registry (HOST:PORT) to reach over plain HTTP.") var insecureRegistry: [String] = []
        @Argument var reference: String

        func run() async throws {
            let client = RegistryClient(configuration: .init(insecureRegistries: Set(insecureRegistry)))
            let image = try await store.open().pull(reference, using: client)
            await client.shutdown()
            print("\(image.name) \(image.digest)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.")
        @OptionGroup var store: StoreOptions
        func run() async throws {
            for image in try await store.open().list() { print("\(image.name) \(image.digest)") }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an image name and prune unused content.")
        @OptionGroup var store: StoreOptions
        @Argument var reference: String
        func run() async throws {
            let s = try store.open()
            guard try await s.remove(reference) else { throw ValidationError("no such image: \(reference)") }
            _ = try await s.pruneContent()
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every image no container uses.")
        @OptionGroup var store: StoreOptions
        func run() async throws {
            let result = try await store.open().garbageCollect()
            for name in result.images { print("deleted \(name)") }
        }
    }
}
