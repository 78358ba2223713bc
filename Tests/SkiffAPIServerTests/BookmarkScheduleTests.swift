import Testing
@testable import SkiffAPIServer

struct BookmarkScheduleTests {
    @Test func withoutADeadlineABookmarkIsDueEveryMinute() {
        let now = ContinuousClock.now
        #expect(APIServer.nextBookmark(now: now, deadline: nil) == now + .seconds(60))
    }

    @Test func aShortWatchGetsOneTwoSecondsBeforeItsDeadline() {
        let now = ContinuousClock.now
        #expect(APIServer.nextBookmark(now: now, deadline: now + .seconds(5)) == now + .seconds(3))
        #expect(APIServer.nextBookmark(now: now, deadline: now + .seconds(300)) == now + .seconds(60))
    }

    @Test func noBookmarkOnceThePreTimeoutMomentHasPassed() {
        let now = ContinuousClock.now
        #expect(APIServer.nextBookmark(now: now, deadline: now + .seconds(1)) == nil)
        #expect(APIServer.nextBookmark(now: now, deadline: now + .seconds(2)) == now)
    }
}
