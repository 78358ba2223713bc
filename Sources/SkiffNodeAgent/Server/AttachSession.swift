/// A running container's own stdio for `kubectl attach`: its output from the moment of
/// attaching (`(stream, bytes)` with stream "stdout" or "stderr", ending when the container's
/// output closes, i.e. it exited), and its stdin when the container has `stdin: true` and the
/// client asked for it. The stdin descriptor belongs to the holder, who closes it and then calls
/// `closedStdin()` (a container with `stdinOnce` then has its stdin closed).
///
/// With a terminal (`tty: true`), all output is the terminal's and comes as "stdout", the stdin
/// descriptor writes to the terminal, and `resize` sets its size.
public struct AttachSession: Sendable {
    public var output: AsyncStream<(String, [UInt8])>
    public var stdin: Int32?
    let resizeTerminal: (@Sendable (_ width: UInt16, _ height: UInt16) -> Void)?
    let onStdinClosed: (@Sendable () -> Void)?

    public init(output: AsyncStream<(String, [UInt8])>, stdin: Int32?,
                resize: (@Sendable (_ width: UInt16, _ height: UInt16) -> Void)? = nil,
                stdinClosed: (@Sendable () -> Void)? = nil) {
        self.output = output
        self.stdin = stdin
        resizeTerminal = resize
        onStdinClosed = stdinClosed
    }

    /// Whether the container has a terminal to resize.
    public var hasTerminal: Bool { resizeTerminal != nil }

    public func resize(width: UInt16, height: UInt16) { resizeTerminal?(width, height) }

    /// The holder closed the stdin descriptor.
    public func closedStdin() { onStdinClosed?() }
}
