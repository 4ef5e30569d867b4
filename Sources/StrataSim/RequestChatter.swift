/// What real services print around every API request and in the background besides the lines
/// the workloads write themselves: haproxy's httplog line for every request through the
/// load balancer, keystonemiddleware's token validation (the service's keystoneauth DEBUG
/// records and keystone's own access and RBAC records), the API's DEBUG dispatch and
/// oslo_concurrency lock records, oslo.messaging CALL/CAST records, and periodic tasks.
/// Shapes follow Rocky-era Ubuntu packages (python2.7 paths) with `debug = True`.
enum APIService {
    case nova, neutron, glance, keystone, placement

    var backend: StaticString {
        switch self {
        case .nova: "nova_api"
        case .neutron: "neutron_server"
        case .glance: "glance_api"
        case .keystone: "keystone_external"
        case .placement: "placement_api"
        }
    }

    var program: Program {
        switch self {
        case .nova: .novaAPI
        case .neutron: .neutronServer
        case .glance: .glanceAPI
        case .keystone: .keystone
        case .placement: .placementAPI
        }
    }
}

extension Simulation {
    /// The records one API request leaves besides the service's access line: `t` is when
    /// the request arrived, `d` how long it took. Token validation happens when the request
    /// carries a user (keystonemiddleware validates the user's token against keystone).
    func apiChatter(
        _ api: APIService, _ t: Int64, _ d: Int64, method: StaticString, path: String, status: Int, len: Int,
        ctx: RequestContext, client: Text? = nil
    ) {
        let debug = config.debugLogs
        let c = controller
        let clientIP = client ?? c.ip
        haproxyLine(api, t, d, client: clientIP, method: method, path: path, status: status, bytes: len + 310 + rng.below(40))
        if debug {
            let port = 40000 + rng.below(20000)
            switch api {
            case .neutron:
                logs.oslo(c, .neutronServer, t, .debug, "neutron.wsgi", nil) { l in Self.eventletAccepted(&l, pid: c.pid(.neutronServer), ip: c.ip, port: port) }
            case .glance:
                logs.oslo(c, .glanceAPI, t, .debug, "eventlet.wsgi.server", nil) { l in Self.eventletAccepted(&l, pid: c.pid(.glanceAPI), ip: c.ip, port: port) }
            default: break
            }
        }
        if api != .keystone && ctx.user != nil {
            validateToken(api.program, at: t + 1500 + Int64(rng.below(1500)))
        }
        guard debug else { return }
        let at = t + 32_000 + Int64(rng.below(6000))
        switch api {
        case .nova:
            let handler = Self.novaHandler(method: method, path: path)
            logs.oslo(c, .novaAPI, at, .debug, "nova.api.openstack.wsgi", ctx) { l in
                l.ascii("Calling method '<bound method ")
                l.ascii(handler.controller)
                l.byte(0x2E)
                l.ascii(handler.method)
                l.ascii(" of <")
                l.ascii(handler.module)
                l.byte(0x2E)
                l.ascii(handler.controller)
                l.ascii(" object at 0x7f3c4d")
                l.hexDigits(UInt64(handler.address), count: 6)
                l.ascii(">>' _process_stack /usr/lib/python2.7/dist-packages/nova/api/openstack/wsgi.py:604")
            }
            lockRecords(c, .novaAPI, at + 300, ctx, lock: "00000000-0000-0000-0000-000000000000", by: "nova.context.get_or_set_cached_cell_and_set_connections")
            if handler.fetches {
                logs.oslo(c, .novaAPI, at + 900, .debug, "nova.compute.api", ctx) { l in
                    l.ascii("[instance: ")
                    l.string(String(path.suffix(36)))
                    l.ascii("] Fetching instance by UUID get /usr/lib/python2.7/dist-packages/nova/compute/api.py:2405")
                }
            }
        case .neutron:
            logs.oslo(c, .neutronServer, at, .debug, "neutron.pecan_wsgi.hooks.policy_enforcement", ctx) { l in
                l.ascii("Attributes excluded by policy engine: [u'is_default', u'vlan_transparent'] _exclude_attributes_by_policy /usr/lib/python2.7/dist-packages/neutron/pecan_wsgi/hooks/policy_enforcement.py:256")
            }
        case .glance:
            logs.oslo(c, .glanceAPI, t + 200, .debug, "glance.api.middleware.version_negotiation", nil) { l in
                l.ascii("Determining version of request: ")
                l.ascii(method)
                l.byte(0x20)
                l.string(path)
                l.ascii(" Accept: */* process_request /usr/lib/python2.7/dist-packages/glance/api/middleware/version_negotiation.py:45")
            }
            logs.oslo(c, .glanceAPI, t + 300, .debug, "glance.api.middleware.version_negotiation", nil) { l in
                l.ascii("Using url versioning process_request /usr/lib/python2.7/dist-packages/glance/api/middleware/version_negotiation.py:57")
            }
            logs.oslo(c, .glanceAPI, t + 400, .debug, "glance.api.middleware.version_negotiation", nil) { l in
                l.ascii("Matched version: v2 process_request /usr/lib/python2.7/dist-packages/glance/api/middleware/version_negotiation.py:69")
            }
            logs.oslo(c, .glanceAPI, t + 500, .debug, "glance.api.middleware.version_negotiation", nil) { l in
                l.ascii("new path ")
                l.string(path)
                l.ascii(" process_request /usr/lib/python2.7/dist-packages/glance/api/middleware/version_negotiation.py:70")
            }
        case .keystone, .placement:
            break
        }
    }

    /// placement's request log line (`placement.requestlog`), with its haproxy and token records.
    func placementRequest(_ t: Int64, _ d: Int64, method: StaticString, path: String, status: Int, len: Int, ctx: RequestContext) {
        apiChatter(.placement, t, d, method: method, path: path, status: status, len: len, ctx: ctx)
        let c = controller
        logs.oslo(c, .placementAPI, t + d, .info, "placement.requestlog", ctx) { l in
            l.text(c.ip)
            l.ascii(" \"")
            l.ascii(method)
            l.byte(0x20)
            l.string(path)
            l.ascii("\" status: ")
            l.int(status)
            l.ascii(" len: ")
            l.int(len)
            l.ascii(" microversion: 1.29")
        }
    }

    /// keystonemiddleware validating a user token: the service's keystoneauth REQ/RESP
    /// records, keystone's RBAC DEBUG records and access line, and haproxy's line for it.
    func validateToken(_ program: Program, at t: Int64) {
        let c = controller
        let d = Int64(rng.logNormal(median: 22_000, sigma: 0.3))
        let kctx = RequestContext(global: nil, request: rng.id128(), user: serviceUser.user, project: serviceUser.project)
        let subject = rng.next()
        let debug = config.debugLogs
        if debug {
            logs.oslo(c, program, t, .debug, "keystoneauth.session", nil) { l in
                l.ascii("REQ: curl -g -i -X GET http://")
                l.text(c.ip)
                l.ascii(":5000/v3/auth/tokens -H \"X-Subject-Token: {SHA1}")
                l.hexDigits(subject, count: 16)
                l.hexDigits(subject &* 0x9E37_79B9_7F4A_7C15, count: 16)
                l.hexDigits(subject >> 7, count: 8)
                l.ascii("\" -H \"User-Agent: python-keystoneclient\" -H \"Accept: application/json\" -H \"X-Auth-Token: {SHA1}")
                l.hexDigits(self.serviceUser.user.hi, count: 16)
                l.hexDigits(self.serviceUser.user.lo, count: 16)
                l.hexDigits(self.serviceUser.project.hi, count: 8)
                l.ascii("\" _http_log_request /usr/lib/python2.7/dist-packages/keystoneauth1/session.py:448")
            }
            logs.oslo(c, .keystone, t + 2000, .debug, "keystone.middleware.auth", kctx) { l in
                l.ascii("RBAC: auth_context: {'domain_id': None, 'trust_id': None, 'trustor_id': None, 'trustee_id': None, 'domain_name': None, 'group_ids': [], 'token': <TokenModel (audit_id=")
                l.hexDigits(subject >> 3, count: 16)
                l.ascii(", audit_chain_id=[u'")
                l.hexDigits(subject >> 3, count: 16)
                l.ascii("']) at 0x7f9b3c")
                l.hexDigits(subject & 0xFFFFF0, count: 6)
                l.ascii(">, 'user_id': u'")
                l.hex32(self.serviceUser.user)
                l.ascii("', 'user_domain_id': u'default', 'system_scope': None, 'roles': [u'admin'], 'project_id': u'")
                l.hex32(self.serviceUser.project)
                l.ascii("', 'project_domain_id': u'default'} fill_context /usr/lib/python2.7/dist-packages/keystone/middleware/auth.py:219")
            }
        }
        logs.oslo(c, .keystone, t + 3000, .info, "keystone.common.wsgi", kctx) { l in
            l.ascii("GET http://")
            l.text(c.name)
            l.ascii(":5000/v3/auth/tokens")
        }
        if debug {
            logs.oslo(c, .keystone, t + 3400, .debug, "keystone.common.authorization", kctx) { l in
                l.ascii("RBAC: Authorizing identity:validate_token() _build_policy_check_credentials /usr/lib/python2.7/dist-packages/keystone/common/authorization.py:137")
            }
            logs.oslo(c, .keystone, t + 3700, .debug, "keystone.common.authorization", kctx) { l in
                l.ascii("RBAC: using auth context from the request environment _build_policy_check_credentials /usr/lib/python2.7/dist-packages/keystone/common/authorization.py:142")
            }
            logs.oslo(c, program, t + d, .debug, "keystoneauth.session", nil) { l in
                l.ascii("RESP: [200] Content-Length: ")
                l.int(5900 + Int(subject % 300))
                l.ascii(" Content-Type: application/json Date: ")
                l.httpDate(t + d)
                l.ascii(" Openstack-Request-Id: req-")
                l.uuid(kctx.request)
                l.ascii(" Server: Apache/2.4.29 (Ubuntu) Vary: X-Auth-Token x-openstack-request-id: req-")
                l.uuid(kctx.request)
                l.ascii(" _http_log_response /usr/lib/python2.7/dist-packages/keystoneauth1/session.py:479")
            }
            logs.oslo(c, program, t + d + 300, .debug, "keystoneauth.session", nil) { l in
                l.ascii("GET call to identity for http://")
                l.text(c.ip)
                l.ascii(":5000/v3/auth/tokens used request id req-")
                l.uuid(kctx.request)
                l.ascii(" request /usr/lib/python2.7/dist-packages/keystoneauth1/session.py:844")
            }
        }
        haproxyLine(.keystone, t, d, client: c.ip, method: "GET", path: "/v3/auth/tokens", status: 200, bytes: 6250 + Int(subject % 300))
    }

    /// haproxy's httplog line, logged when the session ends: `client:port [accept date]
    /// frontend backend/server Tq/Tw/Tc/Tr/Tt status bytes - - ---- act/fe/be/srv/retries
    /// srvq/beq "request"`.
    func haproxyLine(
        _ api: APIService, _ t: Int64, _ d: Int64, client: Text, method: StaticString, path: String, status: Int, bytes: Int
    ) {
        let backend = api.backend
        let c = controller
        let tc = rng.below(2)
        let tr = Int(d / 1000)
        let act = 4 + rng.below(12)
        let port = 40000 + rng.below(20000)
        logs.syslog(c, .haproxy, t + d + 150, tag: "haproxy", pid: c.pid(.haproxy)) { l in
            l.text(client)
            l.byte(0x3A)
            l.int(port)
            l.ascii(" [")
            l.haproxyDate(t)
            l.ascii("] ")
            l.ascii(backend)
            l.byte(0x20)
            l.ascii(backend)
            l.byte(0x2F)
            l.text(c.name)
            l.ascii(" 0/0/")
            l.int(tc)
            l.byte(0x2F)
            l.int(tr)
            l.byte(0x2F)
            l.int(tr + tc)
            l.byte(0x20)
            l.int(status)
            l.byte(0x20)
            l.int(bytes)
            l.ascii(" - - ---- ")
            l.int(act)
            l.byte(0x2F)
            l.int(act)
            l.byte(0x2F)
            l.int(1 + act / 4)
            l.byte(0x2F)
            l.int(1 + act / 4)
            l.ascii("/0 0/0 \"")
            l.ascii(method)
            l.byte(0x20)
            l.string(path)
            l.ascii(" HTTP/1.1\"")
        }
    }

    /// oslo_concurrency's three records around a lock: Acquiring, acquired, released.
    func lockRecords(_ host: SimHost, _ p: Program, _ t: Int64, _ ctx: RequestContext?, lock: StaticString, by holder: StaticString) {
        logs.oslo(host, p, t, .debug, "oslo_concurrency.lockutils", ctx) { l in
            l.ascii("Lock \"")
            l.ascii(lock)
            l.ascii("\" acquired by \"")
            l.ascii(holder)
            l.ascii("\" :: waited 0.000s inner /usr/lib/python2.7/dist-packages/oslo_concurrency/lockutils.py:273")
        }
        logs.oslo(host, p, t + 400, .debug, "oslo_concurrency.lockutils", ctx) { l in
            l.ascii("Lock \"")
            l.ascii(lock)
            l.ascii("\" released by \"")
            l.ascii(holder)
            l.ascii("\" :: held 0.000s inner /usr/lib/python2.7/dist-packages/oslo_concurrency/lockutils.py:285")
        }
    }

    /// oslo.messaging's record of an outgoing RPC (and, for a CALL, its reply `d` later).
    func rpcRecords(
        _ host: SimHost, _ p: Program, _ t: Int64, _ d: Int64, _ ctx: RequestContext?, call: Bool, exchange: StaticString,
        topic: StaticString, server: Text? = nil
    ) {
        guard config.debugLogs else { return }
        let msg = rng.id128()
        logs.oslo(host, p, t, .debug, "oslo_messaging._drivers.amqpdriver", ctx) { l in
            l.ascii(call ? "CALL msg_id: " : "CAST unique_id: ")
            l.hex32(msg)
            l.ascii(" exchange '")
            l.ascii(exchange)
            l.ascii("' topic '")
            l.ascii(topic)
            if let server {
                l.byte(0x2E)
                l.text(server)
            }
            l.ascii("' _send /usr/lib/python2.7/dist-packages/oslo_messaging/_drivers/amqpdriver.py:")
            l.int(call ? 448 : 440)
        }
        if call {
            logs.oslo(host, p, t + d, .debug, "oslo_messaging._drivers.amqpdriver", nil) { l in
                l.ascii("received reply msg_id: ")
                l.hex32(msg)
                l.ascii(" __call__ /usr/lib/python2.7/dist-packages/oslo_messaging/_drivers/amqpdriver.py:299")
            }
        }
    }

    static func eventletAccepted(_ l: inout LineBytes, pid: Int, ip: Text, port: Int) {
        l.byte(0x28)
        l.int(pid)
        l.ascii(") accepted ('")
        l.text(ip)
        l.ascii("', ")
        l.int(port)
        l.ascii(") server /usr/lib/python2.7/dist-packages/eventlet/wsgi.py:883")
    }

    static func novaHandler(method: StaticString, path: String)
        -> (module: StaticString, controller: StaticString, method: StaticString, address: Int, fetches: Bool)
    {
        let isGet = method.utf8Start.pointee == UInt8(ascii: "G")
        if path.hasSuffix("/detail") { return ("nova.api.openstack.compute.servers", "ServersController", "detail", 0x2E1A50, false) }
        if path.hasSuffix("/action") { return ("nova.api.openstack.compute.deferred_delete", "DeferredDeleteController", "_force_delete", 0x31C7D0, false) }
        if path.hasSuffix("/os-server-external-events") {
            return ("nova.api.openstack.compute.server_external_events", "ServerExternalEventsController", "create", 0x2F9B10, false)
        }
        if isGet { return ("nova.api.openstack.compute.servers", "ServersController", "show", 0x2E1A50, true) }
        return ("nova.api.openstack.compute.servers", "ServersController", "create", 0x2E1A50, false)
    }

    // MARK: background

    /// Periodic DEBUG records of one minute window: nova-compute's periodic tasks and its
    /// service report, the neutron agents' state reports, conductor and scheduler tasks.
    func periodicChatter(from w0: Int64, to w1: Int64) {
        guard config.debugLogs else { return }
        for host in hosts {
            let ctx = RequestContext(global: nil, request: host.lifecycleRequest, user: nil, project: nil)
            let agents: [Program] = host.isController ? [.neutronOVSAgent, .neutronL3Agent, .neutronDHCPAgent, .neutronMetadataAgent] : [.neutronOVSAgent]
            // Neutron agents report state every 30 s.
            for (k, agent) in agents.enumerated() {
                var t = w0 + 4_000_000 + Int64(host.index % 29) * 1_000_000 + Int64(k) * 211_000
                while t < w1 {
                    if !(agent == .neutronOVSAgent && fault(.neutronAgentRestart, at: t, host: { $0 == host.index }) != nil)
                        && fault(.rabbitmqConnectionLoss, at: t) == nil
                    {
                        rpcRecords(host, agent, t, Int64(rng.logNormal(median: 9_000, sigma: 0.4)), ctx, call: true, exchange: "neutron", topic: "q-reports-plugin")
                    }
                    t += 30_000_000
                }
            }
            guard !host.isController else {
                // Conductor and scheduler periodic tasks once a minute.
                for (p, tasks) in [(Program.novaScheduler, Self.schedulerTasks), (.novaConductor, Self.conductorTasks)] {
                    var t = w0 + (p == .novaScheduler ? 23_000_000 : 47_000_000)
                    for task in tasks {
                        periodicTask(host, p, t, ctx, task)
                        t += 1200
                    }
                }
                continue
            }
            guard fault(.novaComputeRestart, at: w0 + 9_000_000, host: { $0 == host.index }) == nil else { continue }
            // nova-compute reports its service state every 10 s (a conductor CALL).
            var t = w0 + 2_500_000 + Int64(host.index % 10) * 700_000
            while t < w1 {
                if fault(.rabbitmqConnectionLoss, at: t) == nil {
                    rpcRecords(host, .novaCompute, t, Int64(rng.logNormal(median: 14_000, sigma: 0.4)), nil, call: true, exchange: "nova", topic: "conductor")
                }
                t += 10_000_000
            }
            // The periodic tasks, once a minute, around the resource audit.
            var pt = w0 + 9_000_000 + Int64(host.index) * 1_000_000
            for (i, task) in Self.computeTasks.enumerated() {
                periodicTask(host, .novaCompute, pt, ctx, task)
                pt += 900 + Int64(rng.below(400))
                switch i {
                case 2:  // _heal_instance_info_cache
                    logs.oslo(host, .novaCompute, pt, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("Starting heal instance info cache _heal_instance_info_cache /usr/lib/python2.7/dist-packages/nova/compute/manager.py:6987")
                    }
                    logs.oslo(host, .novaCompute, pt + 300, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("Rebuilding the list of instances to heal _heal_instance_info_cache /usr/lib/python2.7/dist-packages/nova/compute/manager.py:6991")
                    }
                    logs.oslo(host, .novaCompute, pt + 9000, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("Didn't find any instances for network info cache update. _heal_instance_info_cache /usr/lib/python2.7/dist-packages/nova/compute/manager.py:7063")
                    }
                    pt += 10_000
                case 8:  // _reclaim_queued_deletes
                    logs.oslo(host, .novaCompute, pt, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("CONF.reclaim_instance_interval <= 0, skipping... _reclaim_queued_deletes /usr/lib/python2.7/dist-packages/nova/compute/manager.py:7649")
                    }
                    pt += 500
                case 14:  // _run_pending_deletes
                    logs.oslo(host, .novaCompute, pt, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("Cleaning up deleted instances _run_pending_deletes /usr/lib/python2.7/dist-packages/nova/compute/manager.py:8016")
                    }
                    logs.oslo(host, .novaCompute, pt + 4000, .debug, "nova.compute.manager", ctx) { l in
                        l.ascii("There are 0 instances to clean _run_pending_deletes /usr/lib/python2.7/dist-packages/nova/compute/manager.py:8025")
                    }
                    pt += 5000
                default: break
                }
            }
        }
    }

    func periodicTask(_ host: SimHost, _ p: Program, _ t: Int64, _ ctx: RequestContext, _ task: StaticString) {
        logs.oslo(host, p, t, .debug, "oslo_service.periodic_task", ctx) { l in
            l.ascii("Running periodic task ")
            l.ascii(task)
            l.ascii(" run_periodic_tasks /usr/lib/python2.7/dist-packages/oslo_service/periodic_task.py:215")
        }
    }

    static let computeTasks: [StaticString] = [
        "ComputeManager._check_instance_build_time", "ComputeManager._sync_scheduler_instance_info",
        "ComputeManager._heal_instance_info_cache", "ComputeManager._poll_rebooting_instances",
        "ComputeManager._poll_rescued_instances", "ComputeManager._poll_unconfirmed_resizes",
        "ComputeManager._instance_usage_audit", "ComputeManager._poll_volume_usage",
        "ComputeManager._reclaim_queued_deletes", "ComputeManager.update_available_resource",
        "ComputeManager._cleanup_incomplete_migrations", "ComputeManager._cleanup_running_deleted_instances",
        "ComputeManager._run_image_cache_manager_pass", "ComputeManager._sync_power_states",
        "ComputeManager._run_pending_deletes",
    ]
    static let schedulerTasks: [StaticString] = ["SchedulerManager._run_periodic_tasks", "HostManager._async_init_instance_info"]
    static let conductorTasks: [StaticString] = ["ComputeTaskManager._cleanup_running_deleted_instances"]
}

extension LineBytes {
    /// haproxy's accept date: `19/Nov/2019:21:00:01.123`.
    mutating func haproxyDate(_ t: Int64) {
        let c = CivilTime(micros: t)
        int(c.day, width: 2)
        byte(0x2F)
        ascii(LineBytes.httpMonths[c.month - 1])
        byte(0x2F)
        int(c.year)
        byte(0x3A)
        int(c.hour, width: 2)
        byte(0x3A)
        int(c.minute, width: 2)
        byte(0x3A)
        int(c.second, width: 2)
        byte(0x2E)
        int(Int((t / 1000) % 1000), width: 3)
    }

    /// RFC 7231 date: `Tue, 19 Nov 2019 21:00:01 GMT`.
    mutating func httpDate(_ t: Int64) {
        let c = CivilTime(micros: t)
        let days = Int((t / 1_000_000).quotientFloor(86_400))
        ascii(LineBytes.weekdayNames[((days % 7) + 11) % 7])
        ascii(", ")
        int(c.day, width: 2)
        byte(0x20)
        ascii(LineBytes.httpMonths[c.month - 1])
        byte(0x20)
        int(c.year)
        byte(0x20)
        int(c.hour, width: 2)
        byte(0x3A)
        int(c.minute, width: 2)
        byte(0x3A)
        int(c.second, width: 2)
        ascii(" GMT")
    }

    static let httpMonths: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    /// Day 0 (1970-01-01) was a Thursday: index (days + 4) % 7 from Sunday.
    static let weekdayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
}

extension Int64 {
    @inline(__always) fileprivate func quotientFloor(_ d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}
