import SkiffModel
import Testing
@testable import SkiffControllers

/// A controller does not act on a cached object older than its own last status write.
@Suite struct ReplacedVersionsTests {
    static func job(_ rv: String) -> JSON { ["metadata": ["name": "j", "resourceVersion": .string(rv)]] }

    @Test func versionsAWriteReplacedAreStaleUntilTheCacheCatchesUp() {
        let replaced = ReplacedVersions()
        #expect(replaced.isCurrent(Self.job("5"), key: "default/j"))
        replaced.noteWrite(basedOn: Self.job("5"), key: "default/j")  // wrote 6
        replaced.noteWrite(basedOn: Self.job("6"), key: "default/j")  // wrote 7
        #expect(!replaced.isCurrent(Self.job("5"), key: "default/j"))
        #expect(!replaced.isCurrent(Self.job("6"), key: "default/j"))
        #expect(replaced.isCurrent(Self.job("7"), key: "default/j"))
        // Caught up: the notes are gone, so a later version's equal string could not mislead.
        #expect(replaced.isCurrent(Self.job("5"), key: "default/j"))
        #expect(replaced.isCurrent(Self.job("5"), key: "default/other"))
    }
}
