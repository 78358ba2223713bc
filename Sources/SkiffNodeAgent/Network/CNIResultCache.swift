import Foundation
import SkiffModel

/// The result of each attachment, kept so that DEL and CHECK get `prevResult` and the exact
/// configuration ADD used (as libcni's cache under /var/lib/cni/results).
///
/// One file per attachment, `<directory>/<network>-<containerID>-<ifName>`, holding
/// `{"kind": "cniCacheV1", "containerId", "ifName", "networkName", "config", "runtimeConfig", "result"}`
/// where `config` is the network configuration list itself (not base64 as in libcni).
struct CNIResultCache: Sendable {
    let directory: String

    struct Entry: Sendable {
        var containerID: String
        var ifName: String
        var networkName: String
        var config: JSON
        var runtimeConfig: JSON
        var result: JSON

        var json: JSON {
            ["kind": "cniCacheV1", "containerId": .string(containerID), "ifName": .string(ifName),
             "networkName": .string(networkName), "config": config, "runtimeConfig": runtimeConfig, "result": result]
        }

        init(containerID: String, ifName: String, networkName: String, config: JSON, runtimeConfig: JSON, result: JSON) {
            self.containerID = containerID
            self.ifName = ifName
            self.networkName = networkName
            self.config = config
            self.runtimeConfig = runtimeConfig
            self.result = result
        }

        init?(_ j: JSON) {
            guard let id = j["containerId"]?.string, let ifName = j["ifName"]?.string, let name = j["networkName"]?.string,
                  let config = j["config"], config.object != nil, let result = j["result"], result.object != nil else { return nil }
            self.init(containerID: id, ifName: ifName, networkName: name, config: config,
                      runtimeConfig: j["runtimeConfig"] ?? [:], result: result)
        }
    }

    func path(network: String, containerID: String, ifName: String) -> String {
        "\(directory)/\(network)-\(containerID)-\(ifName)"
    }

    func load(network: String, containerID: String, ifName: String) -> Entry? {
        guard let data = FileManager.default.contents(atPath: path(network: network, containerID: containerID, ifName: ifName)),
              let j = try? JSON.parse([UInt8](data)) else { return nil }
        return Entry(j)
    }

    func save(_ entry: Entry) throws {
        let p = path(network: entry.networkName, containerID: entry.containerID, ifName: entry.ifName)
        do {
            try Data(entry.json.serialized(sortedKeys: true)).write(to: URL(fileURLWithPath: p), options: .atomic)
        } catch {
            throw NetworkError(.io, "write CNI result cache \(p): \(error)")
        }
    }

    /// The container IDs with a cached result for `network` and `ifName`.
    func containerIDs(network: String, ifName: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("\(network)-"), name.hasSuffix("-\(ifName)"), name.count > network.count + ifName.count + 2 else { return nil }
            return String(name.dropFirst(network.count + 1).dropLast(ifName.count + 1))
        }.sorted()
    }

    func remove(network: String, containerID: String, ifName: String) {
        unlink(path(network: network, containerID: containerID, ifName: ifName))
    }
}
