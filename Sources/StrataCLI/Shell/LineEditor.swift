#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What reading one line gave.
enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C: the line (and any continued query) is dropped.
    case interrupt
    /// Ctrl-D on an empty line, or stdin closed.
    case endOfInput
}

/// Reads lines from somewhere: the terminal (with editing) or a pipe.
protocol LineSource: AnyObject {
    func readLine(prompt: String, promptWidth: Int) -> LineInput
    /// Called before a command runs (the terminal leaves raw mode so Ctrl-C raises SIGINT).
    func suspend()
}

/// Lines from a non-terminal stdin, no prompt and no echo.
final class PipedLines: LineSource {
    func readLine(prompt: String, promptWidth: Int) -> LineInput {
        guard let l = Swift.readLine(strippingNewline: true) else { return .endOfInput }
        return .line(l)
    }
    func suspend() {}
}

/// An editable line on a terminal in raw mode: cursor movement (arrows, Home/End, Ctrl-A/E/B/F,
/// Alt-B/F), deletion (Backspace, Delete, Ctrl-D/H/K/U/W), history (Up/Down, Ctrl-P/N), Tab
/// completion (the common prefix, or a list when that adds nothing), Ctrl-L clears the screen.
/// Lines wider than the terminal scroll sideways.
final class LineEditor: LineSource {
    private let terminal: RawTerminal
    private let history: History
    private let complete: (String) -> Completion
    private let keys = KeyReader()

    private var text: [Character] = []
    private var cursor = 0
    private var prompt = ""
    private var promptWidth = 0
    /// Position in history while browsing (`history.entries.count` is the line being typed).
    private var historyIndex = 0
    private var typedLine: [Character] = []

    init(terminal: RawTerminal, history: History, complete: @escaping (String) -> Completion) {
        self.terminal = terminal
        self.history = history
        self.complete = complete
    }

    func suspend() { terminal.restore() }

    func readLine(prompt: String, promptWidth: Int) -> LineInput {
        self.prompt = prompt
        self.promptWidth = promptWidth
        text = []
        cursor = 0
        historyIndex = history.entries.count
        terminal.enterRaw()
        refresh()
        while true {
            switch keys.next() {
            case .closed:
                emit("\n")
                return .endOfInput
            case .enter:
                cursor = text.count
                refresh()
                emit("\n")
                return .line(String(text))
            case .ctrl("c"):
                emit("^C\n")
                return .interrupt
            case .ctrl("d"):
                if text.isEmpty {
                    emit("\n")
                    return .endOfInput
                }
                if cursor < text.count { text.remove(at: cursor) }
            case .text(let c):
                text.insert(c, at: cursor)
                cursor += 1
            case .tab: tabComplete()
            case .backspace, .ctrl("h"):
                if cursor > 0 {
                    text.remove(at: cursor - 1)
                    cursor -= 1
                }
            case .delete:
                if cursor < text.count { text.remove(at: cursor) }
            case .left, .ctrl("b"): cursor = max(0, cursor - 1)
            case .right, .ctrl("f"): cursor = min(text.count, cursor + 1)
            case .home, .ctrl("a"): cursor = 0
            case .end, .ctrl("e"): cursor = text.count
            case .wordLeft: cursor = wordStart(before: cursor)
            case .wordRight: cursor = wordEnd(after: cursor)
            case .ctrl("k"): text.removeSubrange(cursor...)
            case .ctrl("u"):
                text.removeSubrange(..<cursor)
                cursor = 0
            case .ctrl("w"):
                let s = wordStart(before: cursor)
                text.removeSubrange(s..<cursor)
                cursor = s
            case .up, .ctrl("p"): browseHistory(by: -1)
            case .down, .ctrl("n"): browseHistory(by: 1)
            case .ctrl("l"): emit("\u{1B}[H\u{1B}[2J")
            default: continue
            }
            refresh()
        }
    }

    private func browseHistory(by delta: Int) {
        let target = historyIndex + delta
        guard target >= 0, target <= history.entries.count else { return }
        if historyIndex == history.entries.count { typedLine = text }
        historyIndex = target
        text = target == history.entries.count ? typedLine : Array(history.entries[target])
        cursor = text.count
    }

    private func tabComplete() {
        let before = String(text[..<cursor])
        let c = complete(before)
        guard !c.candidates.isEmpty, c.replaceFrom <= cursor else { return }
        let word = String(text[c.replaceFrom..<cursor])
        var insert: String
        if c.candidates.count == 1 {
            insert = c.candidates[0].text + c.candidates[0].suffix
        } else {
            insert = c.commonPrefix
            if insert.count <= word.count {
                emit("\n" + c.listing(width: RawTerminal.columns()) + "\n")
                return
            }
        }
        text.replaceSubrange(c.replaceFrom..<cursor, with: Array(insert))
        cursor = c.replaceFrom + insert.count
    }

    private func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == ":" }

    private func wordStart(before i: Int) -> Int {
        var j = i
        while j > 0 && !isWordCharacter(text[j - 1]) { j -= 1 }
        while j > 0 && isWordCharacter(text[j - 1]) { j -= 1 }
        return j
    }

    private func wordEnd(after i: Int) -> Int {
        var j = i
        while j < text.count && !isWordCharacter(text[j]) { j += 1 }
        while j < text.count && isWordCharacter(text[j]) { j += 1 }
        return j
    }

    /// Redraws the prompt and the visible part of the line, then places the cursor.
    private func refresh() {
        let cols = max(20, RawTerminal.columns())
        let room = max(1, cols - promptWidth - 1)
        var first = 0
        if cursor - first >= room { first = cursor - room + 1 }
        let last = min(text.count, first + room)
        var out = "\r" + prompt + String(text[first..<last]) + "\u{1B}[0K\r"
        let column = promptWidth + cursor - first
        if column > 0 { out += "\u{1B}[\(column)C" }
        emit(out)
    }

    private func emit(_ s: String) {
        var s = s
        s.withUTF8 { u in
            var off = 0
            while off < u.count {
                let n = write(1, u.baseAddress! + off, u.count - off)
                if n <= 0 { return }
                off += n
            }
        }
    }
}
