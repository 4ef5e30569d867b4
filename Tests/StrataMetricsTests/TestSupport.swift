import StrataLabels
import StrataMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh empty directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String
    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        var template = Array("/tmp/strata-test-\(safe)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    func cleanup() { _ = system("rm -rf '\(path)'") }
}

func labels(_ name: String, _ pairs: (String, String)...) -> Labels {
    try! Labels(validating: [Label("__name__", name)] + pairs.map { Label($0.0, $0.1) })
}

func allSamples(_ set: SeriesSet) throws -> [Labels: [Sample]] {
    var out: [Labels: [Sample]] = [:]
    for s in set.series { out[s.labels] = try s.samples() }
    return out
}

/// Flips one byte of a file in place.
func flipByte(_ path: String, at offset: Int) {
    let f = fopen(path, "r+b")!
    fseek(f, offset, SEEK_SET)
    let b = fgetc(f)
    fseek(f, offset, SEEK_SET)
    fputc(Int32(UInt8(truncatingIfNeeded: b) ^ 0x5A), f)
    fclose(f)
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

func listDir(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let n = withUnsafePointer(to: e.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if n != "." && n != ".." { out.append(n) }
    }
    return out.sorted()
}
