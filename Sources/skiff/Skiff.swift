import ArgumentParser

@main
struct Skiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skiff",
        abstract: "A small Kubernetes: API server, store and controllers in one binary.",
        subcommands: [Server.self, Up.self, AgentCommand.self, Sim.self, ImageCommand.self, Version.self]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("skiff 0.1.0 (Kubernetes API v1.33)") }
}
