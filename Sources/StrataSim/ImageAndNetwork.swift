/// The image and network scenarios.
extension Simulation {
    func glanceAccess(_ ctx: RequestContext, _ t: Int64, method: StaticString, path: String, status: Int, len: Int, micros: Int64) {
        apiChatter(.glance, t - micros, micros, method: method, path: path, status: status, len: len, ctx: ctx)
        logs.oslo(controller, .glanceAPI, t, .info, "eventlet.wsgi.server", ctx) { l in
            l.text(self.controller.ip)
            l.ascii(" - - [")
            let c = CivilTime(micros: t)
            l.int(c.day, width: 2)
            l.byte(UInt8(ascii: "/"))
            l.ascii(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][c.month - 1])
            l.byte(UInt8(ascii: "/"))
            l.int(c.year)
            l.byte(0x20)
            l.int(c.hour, width: 2)
            l.byte(0x3A)
            l.int(c.minute, width: 2)
            l.byte(0x3A)
            l.int(c.second, width: 2)
            l.ascii("] \"")
            l.ascii(method)
            l.byte(0x20)
            l.string(path)
            l.ascii(" HTTP/1.1\" ")
            l.int(status)
            l.byte(0x20)
            l.int(len)
            l.byte(0x20)
            l.fixed(Int(micros), decimals: 6)
        }
    }

    /// create_image (POST, PUT file, GET) then delete_image: median about 9.4 s, create 7.54 s.
    func createAndDeleteImage(at t0: Int64) -> Int64 {
        let base = rng.id128()
        let user = users[rng.below(users.count)]
        let image = rng.id128()
        var record = IterationRecord(base: base, workload: .createAndDeleteImage, start: t0, end: t0, host: nil)
        var t = keystoneAuth(at: t0, base: base, parent: base, user: user)
        let createTotal = rng.logNormal(median: 7.54, sigma: 0.09)
        let createEnd = t + secs(createTotal)
        let uploadDur = secs(createTotal) - secs(0.15 + 0.05 + 0.06 + 1.5)
        let imagePath = "/v2/images/" + image.uuidString
        let steps: [(StaticString, String, Int64, Int, Int)] = [
            ("POST", "/v2/images", secs(rng.logNormal(median: 0.15, sigma: 0.2)), 201, 2832),
            ("GET", imagePath, secs(rng.logNormal(median: 0.05, sigma: 0.2)), 200, 1134),
            ("PUT", imagePath + "/file", uploadDur, 204, 0),
            ("GET", imagePath, secs(rng.logNormal(median: 0.06, sigma: 0.2)), 200, 1276),
            ("DELETE", imagePath, secs(rng.logNormal(median: 0.45, sigma: 0.2)), 204, 0),
        ]
        for (i, step) in steps.enumerated() {
            if i == 4 { t = max(t, createEnd) + secs(rng.logNormal(median: 1.3, sigma: 0.2)) }
            let ctx = newContext(user)
            if let f = fault(.glanceAPIRestart, at: t) {
                // haproxy answers for the dead backend; the client sees connection refused.
                logs.syslog(controller, .haproxy, t + 1000, tag: "haproxy", pid: controller.pid(.haproxy)) { l in
                    l.text(self.controller.ip)
                    l.ascii(":")
                    l.int(40000 + self.rng.below(20000))
                    l.ascii(" [")
                    l.haproxyDate(t)
                    l.ascii("] glance_api_external glance_api/")
                    l.text(self.controller.name)
                    l.ascii(" 0/0/-1/-1/0 503 212 - - SC-- 2/2/0/0/3 0/0 \"")
                    l.ascii(step.0)
                    l.byte(0x20)
                    l.string(step.1)
                    l.ascii(" HTTP/1.1\"")
                }
                record.end = t + secs(0.02)
                record.error = ("CommunicationError", "Error finding address for http://\(controller.ip.string):9292\(step.1): Unable to establish connection to http://\(controller.ip.string):9292\(step.1): ('Connection aborted.', error(111, 'ECONNREFUSED')) [Errno 111] Connection refused")
                record.fault = f.id
                self.record(record)
                return record.end
            }
            if let f = fault(.dbConnection, at: t) {
                let d = secs(0.08)
                tracer.span(
                    traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .glance, host: controller, start: t, stop: t + d,
                    .wsgi(method: step.0, path: step.1), error: ("DBConnectionError", "(pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')"))
                logDBError(controller, .glanceAPI, t + d / 2, ctx, logger: "glance.common.wsgi")
                glanceAccess(ctx, t + d, method: step.0, path: step.1, status: 500, len: 228, micros: d)
                record.end = t + d
                record.error = ("HTTPInternalServerError", "HTTP 500 Internal Server Error: The server has either erred or is incapable of performing the requested operation.")
                record.fault = f.id
                self.record(record)
                return record.end
            }
            let span = tracer.span(
                traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .glance, host: controller, start: t, stop: t + step.2,
                .wsgi(method: step.0, path: step.1))
            if i == 0 || i == 4 {
                _ = keystoneAuth(at: t + secs(0.01), base: base, parent: span, user: user, path: "/v3/auth/tokens")
            }
            _ = dbSpan(base: base, parent: span, .glance, host: controller, at: t + step.2 / 2, i == 4 ? "DELETE FROM image_properties WHERE image_properties.image_id = %(image_id_1)s" : "SELECT images.created_at, images.id, images.name, images.status FROM images WHERE images.id = %(id_1)s")
            if i == 2 {
                logs.oslo(controller, .glanceAPI, t + step.2 - 2000, .info, "glance.api.v2.image_data", ctx) { l in
                    l.ascii("Image ")
                    l.uuid(image)
                    l.ascii(" upload finished: 13267968 bytes")
                }
            }
            glanceAccess(ctx, t + step.2, method: step.0, path: step.1, status: step.3, len: step.4, micros: step.2)
            t += step.2 + secs(rng.uniform(0.02, 0.08))
        }
        record.end = t
        self.record(record)
        return t
    }

    /// create_network then delete_network in neutron.
    func createAndDeleteNetwork(at t0: Int64) -> Int64 {
        let base = rng.id128()
        let user = users[rng.below(users.count)]
        let network = rng.id128()
        var record = IterationRecord(base: base, workload: .createAndDeleteNetwork, start: t0, end: t0, host: nil)
        var t = keystoneAuth(at: t0, base: base, parent: base, user: user) + secs(0.03)
        let networkPath = "/v2.0/networks/" + network.uuidString
        let steps: [(StaticString, String, Int64, Int, Int)] = [
            ("POST", "/v2.0/networks", secs(rng.logNormal(median: 0.55, sigma: 0.2)), 201, 789),
            ("DELETE", networkPath, secs(rng.logNormal(median: 0.45, sigma: 0.2)), 204, 168),
        ]
        for (i, step) in steps.enumerated() {
            let ctx = newContext(user)
            var error: (etype: StaticString, message: String)?
            var hit: ActiveFault?
            if let f = fault(.ovsCrash, at: t, host: { $0 == 0 }) {
                hit = f
                error = ("InternalServerError", "Request Failed: internal server error while processing your request.")
                logs.oslo(controller, .neutronServer, t + step.2 / 2, .error, "neutron.plugins.ml2.managers", ctx) { l in
                    l.ascii("Failed to bind port ")
                    l.uuid(self.rng.id128())
                    l.ascii(" on host ")
                    l.text(self.controller.name)
                    l.ascii(" for vnic_type normal using segments [{'network_id': '")
                    l.uuid(network)
                    l.ascii("', 'segmentation_id': 1077, 'physical_network': None, 'network_type': u'vxlan'}]")
                }
            } else if let f = fault(.dbConnection, at: t) {
                hit = f
                error = ("InternalServerError", "Request Failed: internal server error while processing your request.")
                logDBError(controller, .neutronServer, t + step.2 / 2, ctx, logger: "neutron.api.v2.resource")
            }
            let span = tracer.span(
                traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .neutron, host: controller, start: t, stop: t + step.2,
                .wsgi(method: step.0, path: step.1), error: error)
            if error == nil {
                _ = dbSpan(base: base, parent: span, .neutron, host: controller, at: t + step.2 / 3, i == 0 ? "INSERT INTO networks (project_id, id, name, status, admin_state_up, vlan_transparent, availability_zone_hints, mtu) VALUES (%(project_id)s, %(id)s, %(name)s, %(status)s, %(admin_state_up)s, %(vlan_transparent)s, %(availability_zone_hints)s, %(mtu)s)" : "DELETE FROM networks WHERE networks.id = %(id_1)s")
                if i == 0 {
                    logs.oslo(controller, .neutronDHCPAgent, t + step.2 + secs(0.2), .info, "neutron.agent.dhcp.agent", nil) { l in
                        l.ascii("Synchronizing state")
                    }
                } else {
                    logs.oslo(controller, .neutronDHCPAgent, t + step.2 + secs(0.15), .info, "neutron.agent.dhcp.agent", nil) { l in
                        l.ascii("Network ")
                        l.uuid(network)
                        l.ascii(" has been deleted.")
                    }
                }
            }
            apiChatter(.neutron, t, step.2, method: step.0, path: step.1, status: error == nil ? step.3 : 500, len: error == nil ? step.4 : 150, ctx: ctx)
            logs.oslo(controller, .neutronServer, t + step.2, .info, "neutron.wsgi", ctx) { l in
                l.text(self.controller.ip)
                l.ascii(" \"")
                l.ascii(step.0)
                l.byte(0x20)
                l.string(step.1)
                Self.wsgiTail(&l, status: error == nil ? step.3 : 500, len: error == nil ? step.4 : 150, micros: step.2, doubleSpace: true)
            }
            t += step.2 + secs(0.02)
            if let error {
                record.end = t
                record.error = error
                record.fault = hit?.id
                self.record(record)
                return t
            }
        }
        record.end = t
        self.record(record)
        return t
    }
}
