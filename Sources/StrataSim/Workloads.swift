/// Rally iterations: each writes its whole future (logs across services and hosts, one
/// osprofiler trace) when it starts; the pending logs put the records in time order.
extension Simulation {
    static let second: Int64 = 1_000_000

    func runWorkloads(until limit: Int64) {
        let stop = min(limit, end)
        while true {
            var best: (r: Int, s: Int)?
            var bestTime = Int64.max
            for (r, runner) in runners.enumerated() {
                for (s, t) in runner.nextStart.enumerated() where t < bestTime {
                    bestTime = t
                    best = (r, s)
                }
            }
            guard let best, bestTime < stop else { return }
            let finished: Int64
            switch runners[best.r].workload {
            case .bootAndDeleteServer: finished = bootAndDelete(at: bestTime)
            case .createAndDeleteImage: finished = createAndDeleteImage(at: bestTime)
            case .createAndDeleteNetwork: finished = createAndDeleteNetwork(at: bestTime)
            }
            var runner = runners[best.r]
            runner.lastEnd = max(runner.lastEnd, finished)
            let next = max(finished, bestTime + 1) + runner.idleMicros
            runner.nextStart[best.s] = next < runner.until ? next : .max
            if !runner.done && runner.nextStart.allSatisfy({ $0 == .max }) {
                // A sequential run hands over to the next scenario when its last iteration ends.
                runner.done = true
                if best.r + 1 < runners.count { runners[best.r + 1].begin(at: runner.lastEnd + 2 * Self.second) }
            }
            runners[best.r] = runner
        }
    }

    @inline(__always) func secs(_ s: Double) -> Int64 { Int64(s * 1_000_000) }

    func newContext(_ user: (user: ID128, project: ID128), global: ID128? = nil) -> RequestContext {
        RequestContext(global: global, request: rng.id128(), user: user.user, project: user.project)
    }

    /// `time: 0.2477829` style duration text.
    static func wsgiTail(_ l: inout LineBytes, status: Int, len: Int, micros: Int64, doubleSpace: Bool = false) {
        l.ascii(" HTTP/1.1\" status: ")
        l.int(status)
        l.ascii(doubleSpace ? "  len: " : " len: ")
        l.int(len)
        l.ascii(" time: ")
        l.fixed(Int(micros) * 10, decimals: 7)
    }

    /// A keystone token request: span and log. Returns its end.
    func keystoneAuth(at t: Int64, base: ID128, parent: ID128, user: (user: ID128, project: ID128), path: String = "/v3/auth/tokens")
        -> Int64
    {
        let d = secs(rng.logNormal(median: 0.12, sigma: 0.4))
        let ctx = newContext(user)
        tracer.span(
            traceLog, rng: &rng, base: base, parent: parent, name: "wsgi", .keystone, host: controller, start: t, stop: t + d,
            .wsgi(method: "POST", path: path))
        apiChatter(.keystone, t, d, method: "POST", path: path, status: 201, len: 6124, ctx: ctx)
        logs.oslo(controller, .keystone, t + d, .info, "keystone.common.wsgi", ctx) { l in
            l.ascii("POST http://")
            l.text(self.controller.name)
            l.ascii(":5000")
            l.string(path)
        }
        return t + d
    }

    /// A db span under `parent`, `d` long.
    func dbSpan(base: ID128, parent: ID128, _ svc: ProfiledService, host: SimHost, at t: Int64, _ statement: StaticString) -> Int64 {
        let d = secs(rng.logNormal(median: 0.004, sigma: 0.5))
        tracer.span(traceLog, rng: &rng, base: base, parent: parent, name: "db", svc, host: host, start: t, stop: t + d, .db(statement: statement))
        return t + d
    }

    /// oslo_db DBConnectionError as a service logs it, with its traceback.
    func logDBError(_ host: SimHost, _ program: Program, _ t: Int64, _ ctx: RequestContext?, logger: StaticString) {
        logs.oslo(host, program, t, .warning, "oslo_db.sqlalchemy.engines", ctx) { l in
            l.ascii("Database connection was found disconnected; reconnecting: DBConnectionError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')")
        }
        logs.oslo(host, program, t + 2000, .error, logger, ctx) { l in
            l.ascii("DB exception wrapped.\n")
            l.traceback([
                ("/usr/lib/python2.7/dist-packages/oslo_db/sqlalchemy/engines.py", 73, "_connect_ping_listener", "connection.scalar(select([1]))"),
                ("/usr/lib/python2.7/dist-packages/sqlalchemy/engine/base.py", 1182, "_execute_context", "context)"),
                ("/usr/lib/python2.7/dist-packages/pymysql/connections.py", 1037, "_read_bytes", "CR.CR_SERVER_LOST, \"Lost connection to MySQL server during query\")"),
            ]) { l in
                l.ascii("DBConnectionError: (pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')")
            }
            l.bytes.removeLast()
        }
    }

    // MARK: boot and delete

    func bootAndDelete(at t0: Int64) -> Int64 {
        let base = rng.id128()
        let user = users[rng.below(users.count)]
        let instance = rng.id128()
        let port = rng.id128()
        let computeHost = computes[computes.startIndex + rng.below(computes.count)]
        let total = rng.logNormal(median: 47.6, sigma: 0.075)
        let deleteTime = rng.logNormal(median: 4.6, sigma: 0.15)
        let boot = total - deleteTime
        var record = IterationRecord(base: base, workload: .bootAndDeleteServer, start: t0, end: t0, host: computeHost)
        let project = user.project.hexString

        var t = keystoneAuth(at: t0, base: base, parent: base, user: user)
        t += secs(rng.uniform(0.02, 0.08))

        // POST /servers on nova-api.
        let apiCtx = newContext(user)
        let postDur = secs(rng.logNormal(median: 0.75, sigma: 0.2))
        let postStart = t
        let postPath = "/v2.1/" + project + "/servers"
        var postError: (etype: StaticString, message: String)?
        var postFault: ActiveFault?
        var c = t + secs(0.01)
        let postSpan = rng.id128()
        c += secs(rng.uniform(0.02, 0.06))
        if let f = fault(.glanceAPIRestart, at: c) {
            postFault = f
            postError = ("ClientException", "Unable to establish connection to http://\(controller.ip.string):9292/v2/images/\(imageID.uuidString): Connection refused (HTTP 503)")
            logs.oslo(controller, .novaAPI, c + 3000, .error, "nova.image.glance", apiCtx) { l in
                l.ascii("Unable to establish connection to http://")
                l.text(self.controller.ip)
                l.ascii(":9292/v2/images/")
                l.uuid(self.imageID)
                l.ascii(": Connection refused")
            }
        } else if let f = fault(.dbConnection, at: c) {
            postFault = f
            postError = ("InternalServerError", "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible. <class 'oslo_db.exception.DBConnectionError'> (HTTP 500)")
            logDBError(controller, .novaAPI, c, apiCtx, logger: "nova.api.openstack.wsgi")
        } else if let f = fault(.rabbitmqConnectionLoss, at: c) {
            postFault = f
            postError = ("InternalServerError", "Unexpected API Error. <class 'oslo_messaging.exceptions.MessagingTimeout'> (HTTP 500)")
            logs.oslo(controller, .novaAPI, c + 5000, .error, "nova.api.openstack.wsgi", apiCtx) { l in
                l.ascii("Unexpected exception in API method\n")
                l.traceback([
                    ("/usr/lib/python2.7/dist-packages/nova/api/openstack/wsgi.py", 801, "wrapped", "return f(*args, **kwargs)"),
                    ("/usr/lib/python2.7/dist-packages/nova/conductor/api.py", 116, "schedule_and_build_instances", "block_device_mapping, tags)"),
                    ("/usr/lib/python2.7/dist-packages/oslo_messaging/_drivers/amqpdriver.py", 335, "get", "'to message ID %s' % msg_id)"),
                ]) { l in
                    l.ascii("MessagingTimeout: Timed out waiting for a reply to message ID ")
                    l.hex32(self.rng.id128())
                }
                l.bytes.removeLast()
            }
        }
        let postEnd = postError == nil ? postStart + postDur : c + secs(0.05)
        tracer.span(
            traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .novaAPI, host: controller, start: postStart, stop: postEnd,
            .wsgi(method: "POST", path: postPath), error: postError.map { ($0.etype, $0.message) }, id: postSpan)
        let postStatus = postError == nil ? 202 : (postFault?.kind == .glanceAPIRestart ? 503 : 500)
        apiChatter(.nova, postStart, postEnd - postStart, method: "POST", path: postPath, status: postStatus, len: postStatus == 202 ? 834 : 233, ctx: apiCtx)
        logs.oslo(controller, .novaAPI, postEnd, .info, "nova.osapi_compute.wsgi.server", apiCtx) { l in
            l.text(self.controller.ip)
            l.ascii(" \"POST ")
            l.string(postPath)
            Self.wsgiTail(&l, status: postStatus, len: postStatus == 202 ? 834 : 233, micros: postEnd - postStart)
        }
        if let postError {
            record.end = postEnd + secs(0.01)
            record.error = postError
            record.fault = postFault?.id
            record.host = nil
            self.record(record)
            return record.end
        }

        // Conductor and scheduler.
        let condCtx = RequestContext(global: apiCtx.request, request: rng.id128(), user: user.user, project: user.project)
        t = postStart + postDur / 2
        let schedStart = t + secs(rng.uniform(0.05, 0.2))
        let schedDur = secs(rng.logNormal(median: 1.2, sigma: 0.25))
        let condSpan = tracer.span(
            traceLog, rng: &rng, base: base, parent: postSpan, name: "rpc", .conductor, host: controller, start: schedStart,
            stop: schedStart + schedDur, .function(name: "nova.conductor.manager.ComputeTaskManager.schedule_and_build_instances"))
        let selStart = schedStart + secs(0.05)
        let selDur = schedDur / 2
        let selSpan = tracer.span(
            traceLog, rng: &rng, base: base, parent: condSpan, name: "rpc", .scheduler, host: controller, start: selStart,
            stop: selStart + selDur, .function(name: "nova.scheduler.manager.SchedulerManager.select_destinations"))
        let placeStart = selStart + secs(0.02)
        let placeDur = selDur / 3
        let placeSpan = tracer.span(
            traceLog, rng: &rng, base: base, parent: selSpan, name: "wsgi", .placement, host: controller, start: placeStart,
            stop: placeStart + placeDur, .wsgi(method: "GET", path: "/allocation_candidates"))
        _ = dbSpan(base: base, parent: placeSpan, .placement, host: controller, at: placeStart + secs(0.005), "SELECT resource_providers.id, resource_providers.uuid FROM resource_providers")
        let placeCtx = RequestContext(global: apiCtx.request, request: rng.id128(), user: serviceUser.user, project: serviceUser.project)
        placementRequest(placeStart, placeDur, method: "GET", path: "/allocation_candidates?limit=1000&resources=DISK_GB%3A40%2CMEMORY_MB%3A4096%2CVCPU%3A2", status: 200, len: 2215 + 410 * computes.count, ctx: placeCtx)
        let schedCtx = RequestContext(global: apiCtx.request, request: rng.id128(), user: user.user, project: user.project)
        rpcRecords(controller, .novaAPI, schedStart - secs(0.03), 0, apiCtx, call: false, exchange: "nova", topic: "conductor")
        rpcRecords(controller, .novaConductor, selStart - 500, selDur + 1000, condCtx, call: true, exchange: "nova", topic: "scheduler")
        var failure: (error: (etype: StaticString, message: String), fault: ActiveFault, at: Int64)?

        if let f = fault(.noValidHost, at: selStart) {
            logs.oslo(controller, .novaScheduler, selStart + selDur / 2, .info, "nova.filters", schedCtx) { l in
                l.ascii("Filtering removed all hosts for the request with instance ID '")
                l.uuid(instance)
                l.ascii("'. Filter results: ['RetryFilter: (start: ")
                l.int(self.computes.count)
                l.ascii(", end: ")
                l.int(self.computes.count)
                l.ascii(")', 'AvailabilityZoneFilter: (start: ")
                l.int(self.computes.count)
                l.ascii(", end: ")
                l.int(self.computes.count)
                l.ascii(")', 'RamFilter: (start: ")
                l.int(self.computes.count)
                l.ascii(", end: 0)']")
            }
            let tw = schedStart + schedDur
            logs.oslo(controller, .novaConductor, tw, .warning, "nova.scheduler.utils", condCtx) { l in
                l.ascii("Failed to compute_task_build_instances: No valid host was found. There are not enough hosts available.")
            }
            logs.oslo(controller, .novaConductor, tw + 1000, .warning, "nova.scheduler.utils", condCtx, instance: instance) { l in
                l.ascii("Setting instance to ERROR state.")
            }
            failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: No valid host was found. There are not enough hosts available."), f, tw)
        } else {
            logs.oslo(controller, .novaScheduler, selStart + selDur / 2, .debug, "nova.scheduler.filter_scheduler", schedCtx) { l in
                l.ascii("Selected host: (")
                l.text(computeHost.name)
                l.ascii(", ")
                l.text(computeHost.name)
                l.ascii(") ram: 30000MB disk: 400GB io_ops: 0 instances: 1 _consume_selected_host /usr/lib/python2.7/dist-packages/nova/scheduler/filter_scheduler.py:353")
            }
        }

        // nova-compute builds the instance.
        let buildStart = schedStart + schedDur + secs(rng.uniform(0.05, 0.3))
        if failure == nil {
            if let f = fault(.novaComputeRestart, at: buildStart, host: { $0 == computeHost.index }) {
                let tw = buildStart + secs(0.1)
                logs.oslo(controller, .novaConductor, tw, .error, "nova.conductor.manager", condCtx, instance: instance) { l in
                    l.ascii("Build of instance ")
                    l.uuid(instance)
                    l.ascii(" aborted: Compute host ")
                    l.text(computeHost.name)
                    l.ascii(" is unavailable")
                }
                failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: n/a"), f, tw)
            } else if let f = fault(.dbConnection, at: buildStart) {
                logDBError(controller, .novaConductor, buildStart, condCtx, logger: "nova.conductor.manager")
                failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: DBConnectionError"), f, buildStart)
            }
        }
        var activeAt = t0 + secs(boot)
        if failure == nil {
            let buildCtx = RequestContext(global: apiCtx.request, request: rng.id128(), user: user.user, project: user.project)
            let spawnEnd = activeAt - secs(rng.uniform(0.3, 1.0))
            let buildSpan = tracer.span(
                traceLog, rng: &rng, base: base, parent: condSpan, name: "rpc", .compute, host: computeHost, start: buildStart,
                stop: spawnEnd, .function(name: "nova.compute.manager.ComputeManager.build_and_run_instance"))
            var bt = buildStart + secs(0.02)
            rpcRecords(controller, .novaConductor, buildStart - secs(0.04), 0, condCtx, call: false, exchange: "nova", topic: "compute", server: computeHost.name)
            if config.debugLogs {
                lockRecords(computeHost, .novaCompute, bt - 600, buildCtx, lock: "compute_resources", by: "nova.compute.resource_tracker.instance_claim")
            }
            logs.oslo(computeHost, .novaCompute, bt, .info, "nova.compute.claims", buildCtx, instance: instance) { l in
                l.ascii("Attempting claim on node ")
                l.text(computeHost.name)
                l.ascii(": memory 4096 MB, disk 40 GB, vcpus 2 CPU")
            }
            logs.oslo(computeHost, .novaCompute, bt + 400, .info, "nova.compute.claims", buildCtx, instance: instance) { l in
                l.ascii("Total memory: 64172 MB, used: ")
                l.int(512 + 4096 * computeHost.instances.count)
                l.ascii(".00 MB")
            }
            logs.oslo(computeHost, .novaCompute, bt + 800, .info, "nova.compute.claims", buildCtx, instance: instance) { l in
                l.ascii("memory limit not specified, defaulting to unlimited")
            }
            logs.oslo(computeHost, .novaCompute, bt + 1200, .info, "nova.compute.claims", buildCtx, instance: instance) { l in
                l.ascii("Total disk: 400 GB, used: ")
                l.int(40 * computeHost.instances.count)
                l.ascii(".00 GB")
            }
            logs.oslo(computeHost, .novaCompute, bt + 1600, .info, "nova.compute.claims", buildCtx, instance: instance) { l in
                l.ascii("Claim successful on node ")
                l.text(computeHost.name)
            }
            bt += secs(rng.uniform(0.3, 0.6))
            // Port creation in neutron.
            let portDur = secs(rng.logNormal(median: 0.9, sigma: 0.2))
            let portSpan = tracer.span(
                traceLog, rng: &rng, base: base, parent: buildSpan, name: "wsgi", .neutron, host: controller, start: bt,
                stop: bt + portDur, .wsgi(method: "POST", path: "/v2.0/ports"))
            _ = dbSpan(base: base, parent: portSpan, .neutron, host: controller, at: bt + secs(0.02), "INSERT INTO ports (project_id, id, name, network_id, mac_address, admin_state_up, status, device_id, device_owner) VALUES (%(project_id)s, %(id)s, %(name)s, %(network_id)s, %(mac_address)s, %(admin_state_up)s, %(status)s, %(device_id)s, %(device_owner)s)")
            let neutronCtx = RequestContext(global: apiCtx.request, request: rng.id128(), user: user.user, project: user.project)
            apiChatter(.neutron, bt, portDur, method: "POST", path: "/v2.0/ports", status: 201, len: 1104, ctx: neutronCtx, client: computeHost.ip)
            logs.oslo(controller, .neutronServer, bt + portDur, .info, "neutron.wsgi", neutronCtx) { l in
                l.text(computeHost.ip)
                l.ascii(" \"POST /v2.0/ports")
                Self.wsgiTail(&l, status: 201, len: 1104, micros: portDur, doubleSpace: true)
            }
            bt += portDur + secs(0.1)
            logs.oslo(computeHost, .novaCompute, bt, .info, "nova.virt.libvirt.driver", buildCtx, instance: instance) { l in
                l.ascii("Creating image")
            }
            // VIF plugging: ovs-vswitchd, the ovs agent, the network-vif-plugged event.
            let vifAt = bt + secs(rng.uniform(2.0, 4.0))
            let ovsFault = fault(.ovsCrash, at: vifAt, host: { $0 == computeHost.index || $0 == 0 })
            let agentFault = fault(.neutronAgentRestart, at: vifAt, host: { $0 == computeHost.index })
            let dbFault = fault(.dbConnection, at: vifAt)
            if let f = ovsFault {
                logs.oslo(controller, .neutronServer, vifAt, .error, "neutron.plugins.ml2.managers", neutronCtx) { l in
                    l.ascii("Failed to bind port ")
                    l.uuid(port)
                    l.ascii(" on host ")
                    l.text(computeHost.name)
                    l.ascii(" for vnic_type normal using segments [{'network_id': '")
                    l.uuid(self.networkID)
                    l.ascii("', 'segmentation_id': 1042, 'physical_network': None, 'id': '")
                    l.uuid(port)
                    l.ascii("', 'network_type': u'vxlan'}]")
                }
                let tw = vifAt + secs(0.3)
                logs.oslo(computeHost, .novaCompute, tw, .error, "nova.compute.manager", buildCtx, instance: instance) { l in
                    l.ascii("Instance failed to spawn\n")
                    l.traceback([
                        ("/usr/lib/python2.7/dist-packages/nova/compute/manager.py", 2273, "_build_resources", "yield resources"),
                        ("/usr/lib/python2.7/dist-packages/nova/network/neutronv2/api.py", 1317, "_update_ports_for_instance", "vif.destroy()"),
                    ]) { l in
                        l.ascii("PortBindingFailed: Binding failed for port ")
                        l.uuid(port)
                        l.ascii(", please check neutron logs for more information.")
                    }
                    l.bytes.removeLast()
                }
                failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: PortBindingFailed"), f, tw)
            } else if let f = agentFault {
                let tw = min(vifAt + secs(8), f.end - secs(0.5))
                logs.oslo(computeHost, .novaCompute, max(vifAt, tw), .warning, "nova.virt.libvirt.driver", buildCtx, instance: instance) { l in
                    l.ascii("Timeout waiting for [('network-vif-plugged', '")
                    l.uuid(port)
                    l.ascii("')] for instance with vm_state building and task_state spawning")
                }
                failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: VirtualInterfaceCreateException"), f, max(vifAt, tw))
            } else if let f = dbFault {
                logDBError(controller, .neutronServer, vifAt, neutronCtx, logger: "neutron.plugins.ml2.plugin")
                failure = (("GetResourceErrorStatus", "Resource <Server: s_rally_\(base.hexString.prefix(8))> has ERROR status.\n Fault: DBConnectionError"), f, vifAt)
            } else {
                logs.ovs(computeHost, vifAt, module: "bridge", level: "INFO") { l in
                    l.ascii("bridge br-int: added interface tap")
                    l.hexDigits(port.hi >> 24, count: 8)
                    l.byte(0x2D)
                    l.hexDigits(port.hi >> 32 & 0xF, count: 2)
                    l.ascii(" on port ")
                    l.int(Int(port.lo % 900) + 10)
                }
                logs.oslo(computeHost, .neutronOVSAgent, vifAt + secs(0.4), .info, "neutron.agent.securitygroups_rpc", nil) { l in
                    l.ascii("Preparing filters for devices set([u'")
                    l.uuid(port)
                    l.ascii("'])")
                }
                logs.oslo(computeHost, .neutronOVSAgent, vifAt + secs(0.9), .info, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", nil) { l in
                    l.ascii("Port ")
                    l.uuid(port)
                    l.ascii(" updated. Details: {'profile': {}, 'network_qos_policy_id': None, 'qos_policy_id': None, 'allowed_address_pairs': [], 'admin_state_up': True, 'network_id': '")
                    l.uuid(self.networkID)
                    l.ascii("', 'segmentation_id': 1042, 'device_owner': u'compute:nova', 'physical_network': None, 'mac_address': 'fa:16:3e:")
                    l.hexDigits(port.lo & 0xFF, count: 2)
                    l.ascii(":")
                    l.hexDigits(port.lo >> 8 & 0xFF, count: 2)
                    l.ascii(":")
                    l.hexDigits(port.lo >> 16 & 0xFF, count: 2)
                    l.ascii("', 'device': '")
                    l.uuid(port)
                    l.ascii("', 'port_security_enabled': True, 'port_id': '")
                    l.uuid(port)
                    l.ascii("', 'fixed_ips': [{'subnet_id': '")
                    l.uuid(self.imageID)
                    l.ascii("', 'ip_address': '10.0.0.")
                    l.int(Int(port.lo >> 24 % 250) % 250 + 3)
                    l.ascii("'}], 'network_type': u'vxlan'}")
                }
                let evAt = vifAt + secs(1.3)
                let evCtx = RequestContext(global: nil, request: rng.id128(), user: users[0].user, project: users[0].project)
                apiChatter(.nova, evAt + secs(0.006) - 91_321, 91_321, method: "POST", path: "/v2/" + users[0].project.hexString + "/os-server-external-events", status: 200, len: 380, ctx: evCtx, client: computeHost.ip)
                logs.oslo(controller, .novaAPI, evAt, .info, "nova.api.openstack.compute.server_external_events", evCtx) { l in
                    l.ascii("Creating event network-vif-plugged:")
                    l.uuid(port)
                    l.ascii(" for instance ")
                    l.uuid(instance)
                }
                logs.oslo(controller, .novaAPI, evAt + secs(0.006), .info, "nova.osapi_compute.wsgi.server", evCtx) { l in
                    l.text(self.controller.ip)
                    l.ascii(" \"POST /v2/")
                    l.hex32(self.users[0].project)
                    l.ascii("/os-server-external-events")
                    Self.wsgiTail(&l, status: 200, len: 380, micros: 91_321)
                }
                // The hypervisor.
                let spawnStart = bt
                logs.libvirt(computeHost, bt + secs(0.5), level: "info", function: "virNetDevTapCreate:246") { l in
                    l.ascii("created tap device for instance-")
                    l.hexDigits(instance.lo & 0xFFFFFF, count: 8)
                }
                let vmStart = vifAt - secs(1.0)
                let lifeCtx = RequestContext(global: nil, request: computeHost.lifecycleRequest, user: nil, project: nil)
                logs.oslo(computeHost, .novaCompute, vmStart, .info, "nova.compute.manager", lifeCtx, instance: instance) { l in l.ascii("VM Started (Lifecycle Event)") }
                logs.oslo(computeHost, .novaCompute, vmStart + secs(0.06), .info, "nova.compute.manager", lifeCtx, instance: instance) { l in l.ascii("VM Paused (Lifecycle Event)") }
                logs.oslo(computeHost, .novaCompute, vmStart + secs(0.2), .info, "nova.compute.manager", lifeCtx, instance: instance) { l in l.ascii("During sync_power_state the instance has a pending task (spawning). Skip.") }
                tracer.span(
                    traceLog, rng: &rng, base: base, parent: buildSpan, name: "driver", .compute, host: computeHost, start: spawnStart,
                    stop: spawnEnd - secs(0.05), .function(name: "nova.virt.libvirt.driver.LibvirtDriver.spawn"))
                tracer.span(
                    traceLog, rng: &rng, base: base, parent: buildSpan, name: "vif_driver", .compute, host: computeHost, start: vifAt - secs(0.2),
                    stop: vifAt, .function(name: "nova.virt.libvirt.vif.LibvirtGenericVIFDriver.plug"))
                logs.oslo(computeHost, .novaCompute, spawnEnd - secs(0.1), .info, "nova.compute.manager", lifeCtx, instance: instance) { l in l.ascii("VM Resumed (Lifecycle Event)") }
                logs.oslo(computeHost, .novaCompute, spawnEnd - secs(0.09), .info, "nova.virt.libvirt.driver", nil, instance: instance) { l in l.ascii("Instance spawned successfully.") }
                logs.oslo(computeHost, .novaCompute, spawnEnd - secs(0.08), .info, "nova.compute.manager", buildCtx, instance: instance) { l in
                    l.ascii("Took ")
                    l.fixed(Int((spawnEnd - spawnStart) / 10_000), decimals: 2)
                    l.ascii(" seconds to spawn the instance on the hypervisor.")
                }
                logs.oslo(computeHost, .novaCompute, spawnEnd, .info, "nova.compute.manager", buildCtx, instance: instance) { l in
                    l.ascii("Took ")
                    l.fixed(Int((spawnEnd - buildStart) / 10_000), decimals: 2)
                    l.ascii(" seconds to build instance.")
                }
            }
        }

        // Rally polls GET /servers/<id> about once a second until ACTIVE or ERROR.
        let serverPath = "/v2.1/" + project + "/servers/" + instance.uuidString
        if let failure { activeAt = failure.at + secs(rng.uniform(0.2, 1.0)) }
        var pollAt = postEnd + secs(rng.uniform(0.9, 1.1))
        var pollFault: ActiveFault?
        while pollAt < activeAt + secs(1.0) {
            let d = secs(rng.logNormal(median: 0.16, sigma: 0.25))
            let ctx = newContext(user)
            if let f = fault(.dbConnection, at: pollAt) {
                pollFault = f
                tracer.span(
                    traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .novaAPI, host: controller, start: pollAt, stop: pollAt + d,
                    .wsgi(method: "GET", path: serverPath), error: ("DBConnectionError", "(pymysql.err.OperationalError) (2013, 'Lost connection to MySQL server during query')"))
                logDBError(controller, .novaAPI, pollAt + d / 2, ctx, logger: "nova.api.openstack.wsgi")
                apiChatter(.nova, pollAt, d, method: "GET", path: serverPath, status: 500, len: 233, ctx: ctx)
                logs.oslo(controller, .novaAPI, pollAt + d, .info, "nova.osapi_compute.wsgi.server", ctx) { l in
                    l.text(self.controller.ip)
                    l.ascii(" \"GET ")
                    l.string(serverPath)
                    Self.wsgiTail(&l, status: 500, len: 233, micros: d)
                }
                activeAt = pollAt + d
                break
            }
            let span = tracer.span(
                traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .novaAPI, host: controller, start: pollAt, stop: pollAt + d,
                .wsgi(method: "GET", path: serverPath))
            _ = dbSpan(base: base, parent: span, .novaAPI, host: controller, at: pollAt + d / 4, "SELECT instances.created_at, instances.updated_at, instances.id, instances.uuid, instances.vm_state FROM instances WHERE instances.uuid = %(uuid_1)s")
            apiChatter(.nova, pollAt, d, method: "GET", path: serverPath, status: 200, len: 1708, ctx: ctx)
            logs.oslo(controller, .novaAPI, pollAt + d, .info, "nova.osapi_compute.wsgi.server", ctx) { l in
                l.text(self.controller.ip)
                l.ascii(" \"GET ")
                l.string(serverPath)
                Self.wsgiTail(&l, status: 200, len: 1708, micros: d)
            }
            pollAt += d + secs(rng.uniform(0.95, 1.05))
        }
        if let pollFault, failure == nil {
            record.end = activeAt
            record.error = ("InternalServerError", "Unexpected API Error. <class 'oslo_db.exception.DBConnectionError'> (HTTP 500)")
            record.fault = pollFault.id
            self.record(record)
            return record.end
        }
        if let failure {
            record.end = max(activeAt, pollAt)
            record.error = failure.error
            record.fault = failure.fault.id
            self.record(record)
            return record.end
        }
        computeHost.instances.append((activeAt - secs(boot * 0.6), activeAt + secs(deleteTime)))

        // Force delete.
        let delStart = max(activeAt, pollAt) + secs(0.05)
        let delCtx = newContext(user)
        let delDur = secs(rng.logNormal(median: 0.25, sigma: 0.2))
        let delSpan = tracer.span(
            traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .novaAPI, host: controller, start: delStart, stop: delStart + delDur,
            .wsgi(method: "POST", path: serverPath + "/action"))
        apiChatter(.nova, delStart, delDur, method: "POST", path: serverPath + "/action", status: 202, len: 0, ctx: delCtx)
        logs.oslo(controller, .novaAPI, delStart + delDur, .info, "nova.osapi_compute.wsgi.server", delCtx) { l in
            l.text(self.controller.ip)
            l.ascii(" \"POST ")
            l.string(serverPath)
            l.ascii("/action")
            Self.wsgiTail(&l, status: 202, len: 0, micros: delDur)
        }
        let termCtx = RequestContext(global: delCtx.request, request: rng.id128(), user: user.user, project: user.project)
        let termStart = delStart + delDur + secs(0.05)
        rpcRecords(controller, .novaAPI, delStart + delDur / 2, 0, delCtx, call: false, exchange: "nova", topic: "compute", server: computeHost.name)
        let destroyDur = secs(rng.logNormal(median: 1.1, sigma: 0.2))
        let deallocDur = secs(rng.logNormal(median: 1.3, sigma: 0.2))
        let finished = t0 + secs(total)
        tracer.span(
            traceLog, rng: &rng, base: base, parent: delSpan, name: "rpc", .compute, host: computeHost, start: termStart,
            stop: termStart + destroyDur + deallocDur, .function(name: "nova.compute.manager.ComputeManager.terminate_instance"))
        logs.oslo(computeHost, .novaCompute, termStart, .info, "nova.compute.manager", termCtx, instance: instance) { l in l.ascii("Terminating instance") }
        if config.debugLogs {
            lockRecords(computeHost, .novaCompute, termStart + destroyDur + deallocDur + 2000, termCtx, lock: "compute_resources", by: "nova.compute.resource_tracker.update_usage")
        }
        logs.libvirt(computeHost, termStart + secs(0.6), level: "info", function: "qemuProcessStop:6412") { l in
            l.ascii("Shutting down VM 'instance-")
            l.hexDigits(instance.lo & 0xFFFFFF, count: 8)
            l.ascii("' pid=")
            l.int(Int(instance.hi % 30000) + 2000)
            l.ascii(" flags=0x0")
        }
        logs.oslo(computeHost, .novaCompute, termStart + destroyDur - 5000, .info, "nova.virt.libvirt.driver", nil, instance: instance) { l in l.ascii("Instance destroyed successfully.") }
        logs.oslo(computeHost, .novaCompute, termStart + destroyDur, .info, "nova.compute.manager", termCtx, instance: instance) { l in
            l.ascii("Took ")
            l.fixed(Int(destroyDur / 10_000), decimals: 2)
            l.ascii(" seconds to destroy the instance on the hypervisor.")
        }
        logs.oslo(computeHost, .novaCompute, termStart + destroyDur + 3000, .info, "nova.virt.libvirt.driver", termCtx, instance: instance) { l in
            l.ascii("Deleting instance files /var/lib/nova/instances/")
            l.uuid(instance)
            l.ascii("_del")
        }
        logs.oslo(computeHost, .novaCompute, termStart + destroyDur + 9000, .info, "nova.virt.libvirt.driver", termCtx, instance: instance) { l in
            l.ascii("Deletion of /var/lib/nova/instances/")
            l.uuid(instance)
            l.ascii("_del complete")
        }
        let portDel = termStart + destroyDur + secs(0.1)
        let neutronDel = secs(rng.logNormal(median: 0.6, sigma: 0.2))
        let nCtx = RequestContext(global: delCtx.request, request: rng.id128(), user: user.user, project: user.project)
        apiChatter(.neutron, portDel, neutronDel, method: "DELETE", path: "/v2.0/ports/" + port.uuidString, status: 204, len: 168, ctx: nCtx, client: computeHost.ip)
        logs.oslo(controller, .neutronServer, portDel + neutronDel, .info, "neutron.wsgi", nCtx) { l in
            l.text(computeHost.ip)
            l.ascii(" \"DELETE /v2.0/ports/")
            l.uuid(port)
            Self.wsgiTail(&l, status: 204, len: 168, micros: neutronDel, doubleSpace: true)
        }
        logs.ovs(computeHost, portDel + secs(0.2), module: "bridge", level: "INFO") { l in
            l.ascii("bridge br-int: deleted interface tap")
            l.hexDigits(port.hi >> 24, count: 8)
            l.byte(0x2D)
            l.hexDigits(port.hi >> 32 & 0xF, count: 2)
            l.ascii(" on port ")
            l.int(Int(port.lo % 900) + 10)
        }
        logs.oslo(computeHost, .novaCompute, termStart + destroyDur + deallocDur, .info, "nova.compute.manager", termCtx, instance: instance) { l in
            l.ascii("Took ")
            l.fixed(Int(deallocDur / 10_000), decimals: 2)
            l.ascii(" seconds to deallocate network for instance.")
        }
        // Rally polls until 404.
        var p = delStart + delDur + secs(1.0)
        while p < finished {
            let d = secs(rng.logNormal(median: 0.15, sigma: 0.25))
            let ctx = newContext(user)
            let gone = p + d + secs(1.0) >= finished
            apiChatter(.nova, p, d, method: "GET", path: serverPath, status: gone ? 404 : 200, len: gone ? 293 : 1708, ctx: ctx)
            tracer.span(
                traceLog, rng: &rng, base: base, parent: base, name: "wsgi", .novaAPI, host: controller, start: p, stop: p + d,
                .wsgi(method: "GET", path: serverPath))
            logs.oslo(controller, .novaAPI, p + d, .info, "nova.osapi_compute.wsgi.server", ctx) { l in
                l.text(self.controller.ip)
                l.ascii(" \"GET ")
                l.string(serverPath)
                Self.wsgiTail(&l, status: gone ? 404 : 200, len: gone ? 293 : 1708, micros: d)
            }
            p += d + secs(1.0)
        }
        record.end = max(finished, p)
        self.record(record)
        return record.end
    }
}

extension SimHost {
    /// The request id nova-compute's lifecycle events carry (one per service start).
    var lifecycleRequest: ID128 { ID128(hi: UInt64(pids[Program.novaCompute.rawValue]) &* 0x9E37_79B9_7F4A_7C15, lo: UInt64(index) &+ 0x1234_5678) }
}
