extension Simulation {
    func writeGroundTruthHeader() {
        var l = LineBytes(capacity: 8192)
        l.ascii("{\n\"seed\": ")
        l.string(String(config.seed))
        l.ascii(",\n\"start_us\": ")
        l.string(String(start))
        l.ascii(",\n\"end_us\": ")
        l.string(String(end))
        l.ascii(",\n\"controller\": \"")
        l.text(controller.name)
        l.ascii("\",\n\"computes\": [")
        for (i, h) in hosts.dropFirst().enumerated() {
            if i > 0 { l.ascii(", ") }
            l.byte(0x22)
            l.text(h.name)
            l.byte(0x22)
        }
        l.ascii("],\n\"faults\": [")
        for (i, f) in faults.enumerated() {
            l.ascii(i == 0 ? "\n" : ",\n")
            l.ascii("  {\"id\": ")
            l.int(f.id)
            l.ascii(", \"kind\": \"")
            l.string(f.kind.rawValue)
            l.ascii("\", \"component\": \"")
            l.string(f.kind.component)
            l.ascii("\", \"host\": \"")
            l.text(hosts[f.host].name)
            l.ascii("\", \"start\": \"")
            l.timeISOMicros(f.start)
            l.ascii("Z\", \"end\": \"")
            l.timeISOMicros(f.end)
            l.ascii("Z\", \"start_us\": ")
            l.string(String(f.start))
            l.ascii(", \"end_us\": ")
            l.string(String(f.end))
            l.ascii(",\n   \"log_templates\": [")
            for (j, t) in f.kind.logTemplates.enumerated() {
                if j > 0 { l.ascii(", ") }
                l.byte(0x22)
                l.jsonEscaped(t)
                l.byte(0x22)
            }
            l.ascii("],\n   \"signatures\": [")
            for (j, t) in f.kind.signatures.enumerated() {
                if j > 0 { l.ascii(", ") }
                l.byte(0x22)
                l.jsonEscaped(t)
                l.byte(0x22)
            }
            l.ascii("],\n   \"metrics\": [")
            let hostName = hosts[f.host].name.string
            for (j, t) in f.kind.metrics.enumerated() {
                if j > 0 { l.ascii(", ") }
                l.byte(0x22)
                l.jsonEscaped(t.replacingHost(with: hostName))
                l.byte(0x22)
            }
            l.ascii("]}")
        }
        l.ascii("\n],\n\"iterations\": [")
        groundTruth.append(l.bytes)
    }

    func record(_ it: IterationRecord) {
        iterationCount += 1
        if it.error != nil { failedCount += 1 }
        var l = LineBytes(capacity: 512)
        l.ascii(firstIteration ? "\n" : ",\n")
        firstIteration = false
        l.ascii("  {\"base_id\": \"")
        l.uuid(it.base)
        l.ascii("\", \"workload\": \"")
        l.ascii(it.workload.name)
        l.ascii("\", \"start_us\": ")
        l.string(String(it.start))
        l.ascii(", \"end_us\": ")
        l.string(String(it.end))
        l.ascii(", \"duration\": ")
        l.fixed(Int((it.end - it.start) / 1000), decimals: 3)
        l.ascii(", \"host\": ")
        if let h = it.host {
            l.byte(0x22)
            l.text(h.name)
            l.byte(0x22)
        } else {
            l.ascii("null")
        }
        if let e = it.error {
            l.ascii(", \"outcome\": \"failure\", \"error\": {\"etype\": \"")
            l.ascii(e.etype)
            l.ascii("\", \"message\": \"")
            l.jsonEscaped(e.message)
            l.ascii("\"}, \"fault\": ")
            if let f = it.fault { l.int(f) } else { l.ascii("null") }
        } else {
            l.ascii(", \"outcome\": \"success\", \"error\": null, \"fault\": null")
        }
        l.byte(UInt8(ascii: "}"))
        groundTruth.append(l.bytes)
    }

    func writeGroundTruthFooter() {
        groundTruth.append("\n]\n}\n")
    }
}

extension String {
    func replacingHost(with host: String) -> String {
        let pattern = Array("$HOST".utf8)
        let u = Array(self.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if i + pattern.count <= u.count && Array(u[i..<i + pattern.count]) == pattern {
                out += Array(host.utf8)
                i += pattern.count
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
