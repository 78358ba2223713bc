import SkiffModel
import Testing
@testable import SkiffProxy

@Suite struct RuleSetTests {
    @Test func printRender() {
        let ports = ServicePort.from(services: Fixtures.services, slices: Fixtures.slices)
        print(RuleSet.render(ports, options: .init(localPodCIDRs: ["10.42.0.0/24"]), stale: ["nat/SKIFF-SVC-GONE", "nat/KUBE-SVC-X", "filter/SKIFF-OLD", "nat/SKIFF-SERVICES"]))
    }
}
