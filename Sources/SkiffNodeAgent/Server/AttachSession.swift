/// A running container's own stdio for `kubectl attach`: its output from the moment of
/// attaching (`(stream, bytes)` with stream "stdout" or "stderr", ending when the container's
/// output closes, i.e. it exited), and its stdin when the container has `stdin: true` and the
/// client asked for it. The stdin descriptor belongs to the holder, who closes it.
public struct AttachSession: Sendable {
    public var output: AsyncStream<(String, [UInt8])>
    public var stdin: Int32?

    public init(output: AsyncStream<(String, [UInt8])>, stdin: Int32?) {
        self.output = output
        self.stdin = stdin
    }
}
