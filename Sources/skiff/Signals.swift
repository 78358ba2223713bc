import Dispatch
import Foundation

/// Waiting for SIGTERM or SIGINT, so the process can stop its services in order.
enum Signals {
    /// Returns when the process receives SIGTERM or SIGINT (or when the task is cancelled).
    static func termination() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        for await _ in stream { break }
        for s in sources { s.cancel() }
    }
}
