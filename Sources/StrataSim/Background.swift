/// Periodic service chatter and the log side of faults.
extension Simulation {
    func backgroundLogs(from w0: Int64, to w1: Int64) {
        let debug = config.debugLogs
        for host in hosts {
            // neutron-openvswitch-agent rpc_loop every 2 s (DEBUG), unless the agent is down.
            if debug {
                var t = w0 + Int64(host.index) * 137_000
                while t < w1 {
                    if fault(.neutronAgentRestart, at: t, host: { $0 == host.index }) == nil {
                        let iteration = Int((t - start) / 2_000_000)
                        logs.oslo(host, .neutronOVSAgent, t, .debug, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", RequestContext(global: nil, request: host.lifecycleRequest, user: nil, project: nil)) { l in
                            l.ascii("Agent rpc_loop - iteration:")
                            l.int(iteration)
                            l.ascii(" started rpc_loop /usr/lib/python2.7/dist-packages/neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py:2086")
                        }
                        logs.oslo(host, .neutronOVSAgent, t + 11_000, .debug, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", RequestContext(global: nil, request: host.lifecycleRequest, user: nil, project: nil)) { l in
                            l.ascii("Agent rpc_loop - iteration:")
                            l.int(iteration)
                            l.ascii(" completed. Processed ports statistics: {'regular': {'updated': 0, 'added': 0, 'removed': 0}}. Elapsed:0.0")
                            l.int(10 + self.rng.below(80))
                            l.ascii(" loop_count_and_wait /usr/lib/python2.7/dist-packages/neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py:1880")
                        }
                    }
                    t += 2_000_000
                }
            }
            if !host.isController {
                // nova-compute periodic tasks: the resource audit every 60 s, image cache every 40 s.
                let audit = w0 + 17_000_000 + Int64(host.index) * 1_000_000
                if audit < w1 && fault(.novaComputeRestart, at: audit, host: { $0 == host.index }) == nil {
                    let ctx = RequestContext(global: nil, request: host.lifecycleRequest, user: nil, project: nil)
                    let running = host.instances.filter { $0.start <= audit && $0.end > audit }.count
                    if debug {
                        logs.oslo(host, .novaCompute, audit - 2000, .debug, "oslo_concurrency.lockutils", ctx) { l in
                            l.ascii("Lock \"compute_resources\" acquired by \"nova.compute.resource_tracker._update_available_resource\" :: waited 0.000s inner /usr/lib/python2.7/dist-packages/oslo_concurrency/lockutils.py:273")
                        }
                    }
                    logs.oslo(host, .novaCompute, audit, .info, "nova.compute.resource_tracker", ctx) { l in
                        l.ascii("Auditing locally available compute resources for node ")
                        l.text(host.name)
                    }
                    logs.oslo(host, .novaCompute, audit + 250_000, .info, "nova.compute.resource_tracker", ctx) { l in
                        l.ascii("Total usable vcpus: 16, total allocated vcpus: ")
                        l.int(running * 2)
                    }
                    logs.oslo(host, .novaCompute, audit + 252_000, .info, "nova.compute.resource_tracker", ctx) { l in
                        l.ascii("Final resource view: name=")
                        l.text(host.name)
                        l.ascii(" phys_ram=64172MB used_ram=")
                        l.int(512 + 4096 * running)
                        l.ascii("MB phys_disk=400GB used_disk=")
                        l.int(40 * running)
                        l.ascii("GB total_vcpus=16 used_vcpus=")
                        l.int(2 * running)
                        l.ascii(" pci_stats=[]")
                    }
                    logs.oslo(host, .novaCompute, audit + 300_000, .info, "nova.compute.resource_tracker", ctx) { l in
                        l.ascii("Compute_service record updated for ")
                        l.text(host.name)
                        l.byte(0x3A)
                        l.text(host.name)
                    }
                }
                host.instances.removeAll { $0.end < w0 - 120_000_000 }
            } else {
                // nova-api: a dashboard lists servers every ~5 s.
                let dashboardPath = "/v2/" + users[0].project.hexString + "/servers/detail"
                var t = w0 + Int64(rng.below(5_000_000))
                while t < w1 {
                    let d = Int64(rng.logNormal(median: 260_000, sigma: 0.1))
                    let ctx = RequestContext(global: nil, request: rng.id128(), user: users[0].user, project: users[0].project)
                    if fault(.dbConnection, at: t) == nil {
                        apiChatter(.nova, t, d, method: "GET", path: dashboardPath, status: 200, len: 1893, ctx: ctx)
                        logs.oslo(host, .novaAPI, t + d, .info, "nova.osapi_compute.wsgi.server", ctx) { l in
                            l.text(host.ip)
                            l.ascii(" \"GET /v2/")
                            l.hex32(self.users[0].project)
                            l.ascii("/servers/detail")
                            Self.wsgiTail(&l, status: 200, len: 1893, micros: d)
                        }
                    }
                    t += 5_000_000 + Int64(rng.below(400_000))
                }
                // Scheduler syncs, rabbit and mysql housekeeping, cinder-volume stats.
                let ctx = RequestContext(global: nil, request: host.lifecycleRequest, user: nil, project: nil)
                logs.oslo(host, .novaScheduler, w0 + 31_000_000, .info, "nova.scheduler.host_manager", ctx) { l in
                    l.ascii("Successfully synced instances from host '")
                    l.text(self.computes[self.computes.startIndex + Int((w0 / 60_000_000) % Int64(self.computes.count))].name)
                    l.ascii("'.")
                }
                if debug {
                    logs.oslo(host, .cinderVolume, w0 + 43_000_000, .debug, "cinder.manager", ctx) { l in
                        l.ascii("Notifying Schedulers of capabilities ... _publish_service_capabilities /usr/lib/python2.7/dist-packages/cinder/manager.py:194")
                    }
                    logs.oslo(host, .cinderAPI, w0 + 12_000_000, .debug, "cinder.api.openstack.wsgi", nil) { l in
                        l.ascii("Empty body provided in request get_body /usr/lib/python2.7/dist-packages/cinder/api/openstack/wsgi.py:723")
                    }
                    logs.oslo(host, .neutronL3Agent, w0 + 8_000_000, .debug, "neutron.agent.l3.agent", ctx) { l in
                        l.ascii("Starting fullsync periodic_sync_routers_task periodic_sync_routers_task /usr/lib/python2.7/dist-packages/neutron/agent/l3/agent.py:618")
                    }
                    logs.oslo(host, .neutronMetadataAgent, w0 + 29_000_000, .debug, "oslo_service.periodic_task", ctx) { l in
                        l.ascii("Running periodic task MetadataProxyHandler._report_state run_periodic_tasks /usr/lib/python2.7/dist-packages/oslo_service/periodic_task.py:215")
                    }
                }
                if fault(.rabbitmqConnectionLoss, at: w0 + 20_000_000) == nil {
                    logs.rabbit(host, w0 + 20_000_000, level: "info", process: 1000 + rng.below(30000)) { l in
                        l.ascii("accepting AMQP connection <0.")
                        l.int(1000 + self.rng.below(30000))
                        l.ascii(".0> (")
                        l.text(self.hosts[self.rng.below(self.hosts.count)].ip)
                        l.ascii(":")
                        l.int(40000 + self.rng.below(20000))
                        l.ascii(" -> ")
                        l.text(host.ip)
                        l.ascii(":5672)")
                    }
                }
                if (w0 / 60_000_000) % 7 == 3 && fault(.dbConnection, at: w0 + 5_000_000) == nil {
                    logs.mysql(host, w0 + 5_000_000, thread: 100 + rng.below(5000), level: "Warning") { l in
                        l.ascii("Aborted connection ")
                        l.int(100 + self.rng.below(90000))
                        l.ascii(" to db: 'nova' user: 'nova' host: '")
                        l.text(self.hosts[self.rng.below(self.hosts.count)].ip)
                        l.ascii("' (Got an error reading communication packets)")
                    }
                }
                if (w0 / 60_000_000) % 5 == 0 {
                    logs.syslog(host, .haproxy, w0 + 3_000_000, tag: "haproxy", pid: host.pid(.haproxy)) { l in
                        l.text(host.ip)
                        l.ascii(":")
                        l.int(40000 + self.rng.below(20000))
                        l.ascii(" [horizon] horizon/")
                        l.text(host.name)
                        l.ascii(" 0/0/1/")
                        l.int(20 + self.rng.below(80))
                        l.ascii("/")
                        l.int(25 + self.rng.below(80))
                        l.ascii(" 200 4310 - - ---- \"GET /dashboard/ HTTP/1.1\"")
                    }
                }
            }
            // OS: cron every minute, an ssh session now and then.
            logs.syslog(host, .messages, w0 + 1_000_000, tag: "CROND", pid: 20000 + rng.below(10000)) { l in
                l.ascii("(root) CMD (/usr/lib64/sa/sa1 1 1)")
            }
            if (w0 / 60_000_000 + Int64(host.index)) % 10 == 0 {
                let pid = 10000 + rng.below(20000)
                let t = w0 + 40_000_000
                logs.syslog(host, .secure, t, tag: "sshd", pid: pid) { l in
                    l.ascii("Accepted publickey for root from 10.11.0.5 port ")
                    l.int(40000 + self.rng.below(20000))
                    l.ascii(" ssh2: RSA SHA256:9mCKmPu6+8aJc3vD3Oe1X2k5ZcyN0H4a0Yq8dW5sQ7E")
                }
                logs.syslog(host, .secure, t + 20_000, tag: "sshd", pid: pid) { l in
                    l.ascii("pam_unix(sshd:session): session opened for user root by (uid=0)")
                }
                logs.syslog(host, .messages, t + 30_000, tag: "systemd", pid: 1) { l in
                    l.ascii("Started Session ")
                    l.int(Int(w0 / 60_000_000 % 100000))
                    l.ascii(" of user root.")
                }
                logs.syslog(host, .secure, t + 5_000_000, tag: "sshd", pid: pid) { l in
                    l.ascii("pam_unix(sshd:session): session closed for user root")
                }
            }
            if host.index > 0 && (w0 / 60_000_000) % 4 == 0 {
                logs.libvirt(host, w0 + 14_000_000, level: "info", function: "virDomainObjListLoadAllConfigs:1041") { l in
                    l.ascii("Scanning for configs in /var/run/libvirt/qemu")
                }
            }
            if (w0 / 60_000_000) % 3 == 0 {
                logs.ovs(host, w0 + 26_000_000, module: "connmgr", level: "INFO") { l in
                    l.ascii("br-int<->tcp:127.0.0.1:6633: ")
                    l.int(1 + self.rng.below(9))
                    l.ascii(" flow_mods in the last 0 s (")
                    l.int(1 + self.rng.below(9))
                    l.ascii(" adds)")
                }
            }
        }
    }

    /// The records a fault writes at its start and end (restarts, crashes, reconnects).
    func faultLogs(from w0: Int64, to w1: Int64) {
        for f in faults where f.start >= w0 && f.start < w1 {
            let host = hosts[f.host]
            let s = f.start
            let e = f.end
            switch f.kind {
            case .novaComputeRestart:
                logs.syslog(host, .messages, s, tag: "systemd", pid: 1) { l in l.ascii("Stopping OpenStack Compute (nova-compute)...") }
                logs.oslo(host, .novaCompute, s + 2000, .info, "oslo_service.service", nil) { l in l.ascii("Caught SIGTERM, exiting") }
                host.pids[Program.novaCompute.rawValue] = 1200 + rng.below(30000)
                logs.syslog(host, .messages, e - 2_000_000, tag: "systemd", pid: 1) { l in l.ascii("Started OpenStack Compute (nova-compute).") }
                logs.oslo(host, .novaCompute, e - 1_000_000, .info, "nova.service", nil) { l in l.ascii("Starting compute node (version 18.2.3)") }
            case .glanceAPIRestart:
                logs.oslo(host, .glanceAPI, s, .info, "glance.common.wsgi", nil) { l in l.ascii("Caught SIGTERM, stopping children") }
                logs.syslog(host, .haproxy, s + 800_000, tag: "haproxy", pid: host.pid(.haproxy)) { l in
                    l.ascii("Server glance_api/")
                    l.text(host.name)
                    l.ascii(" is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left. 2 sessions active, 0 requeued, 0 remaining in queue.")
                }
                host.pids[Program.glanceAPI.rawValue] = 1200 + rng.below(30000)
                logs.oslo(host, .glanceAPI, e - 500_000, .info, "glance.common.wsgi", nil) { l in l.ascii("Starting 4 workers") }
                logs.syslog(host, .haproxy, e - 100_000, tag: "haproxy", pid: host.pid(.haproxy)) { l in
                    l.ascii("Server glance_api/")
                    l.text(host.name)
                    l.ascii(" is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")
                }
            case .neutronAgentRestart:
                logs.oslo(host, .neutronOVSAgent, s, .info, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", nil) { l in l.ascii("Caught SIGTERM, quitting daemon") }
                host.pids[Program.neutronOVSAgent.rawValue] = 1200 + rng.below(30000)
                logs.oslo(host, .neutronOVSAgent, e - 1_000_000, .info, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", nil) { l in l.ascii("Agent initialized successfully, now running... ") }
            case .ovsCrash:
                logs.ovs(host, s, module: "util", level: "EMER") { l in
                    l.ascii("lib/dp-packet.h:570: assertion pad >= 0 && dp_packet_size(b) + pad <= UINT16_MAX failed in dp_packet_set_l2_pad_size()")
                }
                let oldPid = host.pid(.ovsVswitchd)
                host.pids[Program.ovsVswitchd.rawValue] = 1200 + rng.below(30000)
                logs.ovs(host, s + 300_000, module: "daemon_unix(monitor)", level: "ERR") { l in
                    l.ascii("1 crashes: pid ")
                    l.int(oldPid)
                    l.ascii(" died, killed (Aborted), core dumped, restarting")
                }
                logs.syslog(host, .messages, s + 100_000, tag: "kernel", pid: nil) { l in
                    l.ascii("ovs-vswitchd[")
                    l.int(oldPid)
                    l.ascii("]: segfault at 0 ip 00007f3c5691441e sp 00007ffd2a1b9e80 error 4 in libc-2.27.so")
                }
                logs.ovs(host, s + 1_200_000, module: "vlog", level: "INFO") { l in l.ascii("opened log file /var/log/openvswitch/ovs-vswitchd.log") }
                let agentHost = host
                var t = s + 1_000_000
                while t < e {
                    logs.oslo(agentHost, .neutronOVSAgent, t, .warning, "neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent", nil) { l in
                        l.ascii("OVS is dead. OVSNeutronAgent will keep running and checking OVS status periodically.")
                    }
                    t += 4_000_000
                }
            case .dbConnection:
                logs.mysql(host, s, thread: 0, level: "ERROR") { l in l.ascii("mysqld got signal 6 ;") }
                for p in [Program.novaConductor, .neutronServer, .keystone, .novaScheduler] {
                    logDBError(host, p, s + 1_500_000 + Int64(p.rawValue) * 1000, nil, logger: "oslo_db.sqlalchemy.exc_filters")
                }
                logs.mysql(host, e - 2_000_000, thread: 0, level: "Note") { l in l.ascii("InnoDB: Starting crash recovery from checkpoint LSN=1946125314") }
                logs.mysql(host, e - 500_000, thread: 0, level: "Note") { l in l.ascii("/usr/sbin/mysqld: ready for connections.") }
            case .rabbitmqConnectionLoss:
                logs.rabbit(host, s, level: "error", process: 1000 + rng.below(30000)) { l in
                    l.ascii("closing AMQP connection <0.")
                    l.int(1000 + self.rng.below(30000))
                    l.ascii(".0> (")
                    l.text(host.ip)
                    l.ascii(":41234 -> ")
                    l.text(host.ip)
                    l.ascii(":5672): {writer,send_failed,{error,econnreset}}")
                }
                logs.rabbit(host, s + 200_000, level: "error", process: 1000 + rng.below(30000)) { l in
                    l.ascii("Closing AMQP connection <0.")
                    l.int(1000 + self.rng.below(30000))
                    l.ascii(".0> (")
                    l.text(self.hosts[1 % self.hosts.count].ip)
                    l.ascii(":51712 -> ")
                    l.text(host.ip)
                    l.ascii(":5672): connection_closed_abruptly")
                }
                for h in hosts {
                    let programs: [Program] = h.isController ? [.novaConductor, .novaScheduler, .neutronServer, .neutronDHCPAgent, .neutronL3Agent] : [.novaCompute, .neutronOVSAgent]
                    for p in programs {
                        var t = s + 1_000_000 + Int64(p.rawValue) * 37_000
                        var wait = 1
                        let connection = rng.id128()
                        while t < e - 1_000_000 {
                            logs.oslo(h, p, t, .error, "oslo.messaging._drivers.impl_rabbit", nil) { l in
                                l.byte(UInt8(ascii: "["))
                                l.uuid(connection)
                                l.ascii("] AMQP server on ")
                                l.text(host.name)
                                l.ascii(":5672 is unreachable: [Errno 111] ECONNREFUSED. Trying again in ")
                                l.int(wait)
                                l.ascii(" seconds.: error: [Errno 111] ECONNREFUSED")
                            }
                            t += Int64(wait) * 1_000_000 + 30_000
                            wait = min(wait * 2, 8)
                        }
                        logs.oslo(h, p, e + 500_000 + Int64(p.rawValue) * 10_000, .info, "oslo.messaging._drivers.impl_rabbit", nil) { l in
                            l.byte(UInt8(ascii: "["))
                            l.uuid(connection)
                            l.ascii("] Reconnected to AMQP server on ")
                            l.text(host.name)
                            l.ascii(":5672 via [amqp] client with port ")
                            l.int(40000 + self.rng.below(20000))
                            l.ascii(".")
                        }
                    }
                }
                logs.rabbit(host, e - 1_000_000, level: "info", process: 1000 + rng.below(30000)) { l in l.ascii("Server startup complete; 0 plugins started.") }
            case .noValidHost:
                break
            }
        }
    }
}
