#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A key press decoded from the bytes a terminal sends: printable characters (UTF-8), control keys,
/// and the escape sequences of arrows, Home/End and Delete (both `ESC [` and `ESC O` forms).
enum Key: Equatable {
    case text(Character)
    case enter, tab, backspace, delete
    case left, right, up, down, home, end, wordLeft, wordRight
    /// Ctrl plus a letter not covered above (`ctrl("a")` for Ctrl-A).
    case ctrl(Character)
    /// stdin closed.
    case closed
    /// A sequence the editor does not use.
    case ignored
}

/// Reads `Key`s from file descriptor 0.
struct KeyReader {
    /// How long to wait for the rest of an escape sequence before taking ESC alone.
    var escapeTimeoutMilliseconds: Int32 = 50

    func next() -> Key {
        guard let b = readByte() else { return .closed }
        switch b {
        case 13, 10: return .enter
        case 9: return .tab
        case 8, 127: return .backspace
        case 27: return escape()
        case 1...26: return .ctrl(Character(Unicode.Scalar(b + 96)))
        case 0, 28...31: return .ignored
        default: return utf8(startingWith: b)
        }
    }

    private func escape() -> Key {
        guard let b = readByte(timeout: escapeTimeoutMilliseconds) else { return .ignored }
        switch b {
        case UInt8(ascii: "["), UInt8(ascii: "O"):
            var params: [UInt8] = []
            while let c = readByte(timeout: escapeTimeoutMilliseconds) {
                if c >= 0x40 && c <= 0x7E { return csi(final: c, params: params) }
                params.append(c)
                if params.count > 16 { return .ignored }
            }
            return .ignored
        case UInt8(ascii: "b"): return .wordLeft
        case UInt8(ascii: "f"): return .wordRight
        case 127, 8: return .ctrl("w")
        default: return .ignored
        }
    }

    private func csi(final: UInt8, params: [UInt8]) -> Key {
        let p = String(decoding: params, as: UTF8.self)
        let modified = p.contains(";5") || p.contains(";3")
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return modified ? .wordRight : .right
        case UInt8(ascii: "D"): return modified ? .wordLeft : .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch p {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return .ignored
            }
        default: return .ignored
        }
    }

    private func utf8(startingWith b: UInt8) -> Key {
        let extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0
        var bytes = [b]
        for _ in 0..<extra {
            guard let c = readByte(timeout: escapeTimeoutMilliseconds) else { break }
            bytes.append(c)
        }
        let s = String(decoding: bytes, as: UTF8.self)
        guard let ch = s.first, s.count == 1, ch != "\u{FFFD}" || bytes == [0xEF, 0xBF, 0xBD] else { return .ignored }
        return .text(ch)
    }

    /// One byte, or nil at end of input (or after `timeout` ms when given).
    private func readByte(timeout: Int32? = nil) -> UInt8? {
        if let timeout {
            var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, timeout) > 0 else { return nil }
        }
        var b: UInt8 = 0
        while true {
            let n = read(0, &b, 1)
            if n == 1 { return b }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }
}
