import LogWorkloads

enum Corpus {
    /// Writes the replicated corpus; copies are whole, so the file is at least `megabytes` MB.
    static func write(to path: String, megabytes: Int, sample: String) throws {
        let rep = OpenStackReplicator(sample: try Files.read(sample))
        let copies = (megabytes * 1_000_000 + rep.bytesPerCopy - 1) / rep.bytesPerCopy
        var out: [UInt8] = []
        out.reserveCapacity(copies * rep.bytesPerCopy)
        for k in 0..<copies { rep.appendCopy(k, to: &out) }
        try Files.write(out, to: path)
        print("corpus: \(copies) copies of \(sample) (\(rep.bytesPerCopy) bytes each), \(out.count) bytes -> \(path)")
    }
}
