#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal on stdin switched to raw mode (no echo, no line buffering, no signals from keys)
/// while a line is edited, and back to its original settings while a query runs, so Ctrl-C then
/// raises SIGINT as usual.
final class RawTerminal {
    private var original = termios()
    private(set) var isRaw = false

    /// Nil when stdin is not a terminal.
    init?() {
        guard isatty(0) == 1, tcgetattr(0, &original) == 0 else { return nil }
    }

    deinit { restore() }

    func enterRaw() {
        guard !isRaw else { return }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        if tcsetattr(0, TCSADRAIN, &raw) == 0 { isRaw = true }
    }

    func restore() {
        guard isRaw else { return }
        var t = original
        tcsetattr(0, TCSADRAIN, &t)
        isRaw = false
    }

    /// The terminal's width in columns (80 when unknown).
    static func columns() -> Int {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        if ioctl(0, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        return 80
    }
}
