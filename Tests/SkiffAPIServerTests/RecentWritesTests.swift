import Testing
import SkiffModel
@testable import SkiffAPIServer

/// The store's memory of its last writes, read by the next read-modify-write.
@Suite struct RecentWritesTests {
    @Test func onlyTheExactRevisionIsAnswered() {
        let recent = RecentWrites(capacity: 4)
        recent.note(key: "/a", revision: 5, object: ["v": 5])
        #expect(recent.object(key: "/a", revision: 5) == ["v": 5])
        #expect(recent.object(key: "/a", revision: 6) == nil)
        recent.note(key: "/a", revision: 6, object: ["v": 6])
        #expect(recent.object(key: "/a", revision: 5) == nil)
        #expect(recent.object(key: "/a", revision: 6) == ["v": 6])
        #expect(recent.object(key: "/b", revision: 6) == nil)
    }

    @Test func theOldestKeysGoFirst() {
        let recent = RecentWrites(capacity: 2)
        for (i, key) in ["/a", "/b", "/c"].enumerated() { recent.note(key: key, revision: Int64(i), object: .int(Int64(i))) }
        #expect(recent.object(key: "/a", revision: 0) == nil)
        #expect(recent.object(key: "/b", revision: 1) == 1)
        #expect(recent.object(key: "/c", revision: 2) == 2)
    }
}
