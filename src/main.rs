fn main() {
    use sim_core::cluster::*;
    use sim_core::faults::*;
    use sim_core::raft::NodeId;
    use sim_core::time::Instant;
    for (label, pv, cq) in [
        ("raft", false, false),
        ("prevote", true, false),
        ("pv+cq", true, true),
        ("cq", false, true),
    ] {
        let mut cfg = ClusterConfig::new(5, 1, 120_000_000);
        cfg.raft.pre_vote = pv;
        cfg.raft.check_quorum = cq;
        cfg.raft.leader_lease = pv || cq;
        cfg.workload.proposals_per_sec = 20.0;
        cfg.script = vec![
            ScriptEvent {
                at: Instant::from_ms(20000),
                fault: Fault::Isolate(NodeRef::Follower(3)),
            },
            ScriptEvent {
                at: Instant::from_ms(80000),
                fault: Fault::Heal,
            },
        ];
        let t = std::time::Instant::now();
        let out = run(cfg);
        println!(
            "{label}: {:?} {:?} {:x} {:?}",
            t.elapsed(),
            out.violations,
            out.trace_hash,
            out.series.faults
        );
        println!("{}", serde_json::to_string(&out.metrics).unwrap());
    }
    let mut cfg = ClusterConfig::new(5, 1, 120_000_000);
    cfg.raft.election = sim_core::raft::ElectionKind::Dledger;
    cfg.workload.proposals_per_sec = 20.0;
    cfg.script = vec![
        ScriptEvent {
            at: Instant::from_ms(20000),
            fault: Fault::Isolate(NodeRef::Id(NodeId(3))),
        },
        ScriptEvent {
            at: Instant::from_ms(80000),
            fault: Fault::Heal,
        },
    ];
    let out = run(cfg);
    println!("dledger {:?}", out.violations);
    println!("{}", serde_json::to_string(&out.metrics).unwrap());
}
