//! Raft's rules as scripts, in the style of etcd-io/raft's datadriven
//! `testdata/*.txt`. Each file in `raft/testdata/` is a list of blocks: a
//! `#` comment stating a rule, one command that drives a single node through
//! its public API, `----`, and the output the command must produce (up to
//! the next blank line). `RAFTSIM_REWRITE=1 cargo test -p sim-core script`
//! rewrites the outputs in place; without it a difference fails the test
//! with the file, the line and a diff. A malformed line fails loudly with
//! its file and line, so a typo can never pass vacuously.
//!
//! Commands (times are virtual milliseconds: `10ms`, `2.5ms`; `at=` defaults
//! to the node's current time, and time never goes backwards):
//!
//! ```text
//! node 1 [n=3] [dledger] [pre_vote] [check_quorum] [leader_lease] [bug=NAME,..]
//!        [term=0] [vote=none] [log=[1,1,2]] [at=0ms]   start node 1 from this disk
//!        [snapshot=INDEX:TERM] [compact=N]             (a snapshot before `log`;
//!                                                      compaction threshold)
//! deliver 1 from=2 [at=T] <message>                    the node receives a message
//! fire 1 <timer>|next [at=T]                           a timer fires (by default at
//!                                                      its armed deadline; `next`:
//!                                                      the earliest armed timer)
//! propose 1 id=7                                       a client proposal
//! persisted 1 index=2                                  the disk holds 2 entries
//! crash 1 / restart 1 [at=T] [bug=NAME,..]             lose volatile state / start
//!                                                      again from the durable state
//! state 1 / timers 1 / disk 1                          print without driving
//! ```
//!
//! A command that drives the node prints the actions it emitted, one a line
//! (their text form is in `text.rs`), then the node's state:
//! `state 1 follower term=3 vote=2 leader=none commit=0 log=[1,1,2]`.
//! Log entries print as their term, with `:pN` for client proposal N.
//!
//! The harness' disk applies every `persist` as it is issued, and a node
//! restarted after `crash` continues its timer stream, as in the cluster.
//! Timers are drawn from the node's own seeded stream, so deadlines are
//! exact and the same on every run.

mod fields;
mod harness;
mod interpreter;
mod text;

use std::path::{Path, PathBuf};

use crate::testkit::{self, Outcome};
use interpreter::Interpreter;

/// The seed of every node's timer stream in scripts.
const SCRIPT_SEED: u64 = 7;

/// Runs a single-node script through a fresh interpreter.
fn run_script(name: &str, text: &str) -> Result<Outcome, String> {
    let mut interpreter = Interpreter::default();
    let run = Box::new(move |command: &str| interpreter.run(command));
    testkit::run_script(name, text, &mut [("model", run)])
}

fn testdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/raft/testdata")
}

/// Runs `testdata/<file>`: rewrites it under `RAFTSIM_REWRITE=1`, else fails
/// on any difference.
fn run_file(file: &str) {
    let path = testdata_dir().join(file);
    let name = format!("sim-core/src/raft/testdata/{file}");
    let mut interpreter = Interpreter::default();
    let run = Box::new(move |command: &str| interpreter.run(command));
    testkit::run_file(&path, &name, true, &mut [("model", run)]);
}

// ----- the scripts -------------------------------------------------------

macro_rules! script_tests {
    ($($test:ident => $file:literal,)*) => {
        /// Every script, one test each.
        const SCRIPTS: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                run_file($file);
            }
        )*
    };
}

script_tests! {
    up_to_date => "up_to_date.txt",
    vote => "vote.txt",
    pre_vote => "pre_vote.txt",
    leader_lease => "leader_lease.txt",
    check_quorum => "check_quorum.txt",
    replication => "replication.txt",
    snapshot => "snapshot.txt",
    dledger_voter => "dledger_voter.txt",
    dledger_round => "dledger_round.txt",
    dledger_heartbeat => "dledger_heartbeat.txt",
    bugs => "bugs.txt",
}

#[test]
fn every_script_in_testdata_is_run() {
    testkit::assert_every_script_is_listed(
        &testdata_dir(),
        SCRIPTS,
        "add new scripts to script_tests!",
    );
}

// ----- the interpreter's own checks -------------------------------------

/// The error a one-block script fails with.
fn script_error(command: &str) -> String {
    let text = format!("# a rule\n{command}\n----\nok\n");
    match run_script("t.txt", &format!("node 1 term=1\n----\nok\n\n{text}")) {
        Ok(_) => panic!("`{command}` was accepted"),
        Err(why) => why,
    }
}

#[test]
fn malformed_lines_fail_with_file_line_and_reason() {
    let cases = [
        (
            "deliver 1 form=2 VoteResponse{term=1 granted=true}",
            "missing `from=`",
        ),
        (
            "deliver 1 from=2 to=3 VoteResponse{term=1 granted=true}",
            "unknown key(s): to",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 grnted=true}",
            "missing `granted=`",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 granted=yes}",
            "expected true or false",
        ),
        (
            "deliver 1 from=2 VoteReponse{term=1 granted=true}",
            "unknown message kind",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 granted=true",
            "does not end with",
        ),
        (
            "deliver 1 from=2 at=5 VoteResponse{term=1 granted=true}",
            "is not a time",
        ),
        ("fire 1 electoin", "unknown timer `electoin`"),
        ("fire 1 heartbeat", "no heartbeat timer armed"),
        ("node 4 term=1", "node 4 of an 3-node cluster"),
        ("node 1 prevote", "unknown key(s): prevote"),
        ("node 1 bug=forget_votes", "unknown bug"),
        ("node 1 log=1,2", "expected a list of entry terms"),
        ("state 2", "node 2 was not created"),
        ("propse 1 id=1", "unknown command `propse`"),
        ("propose 1 id=1 id=2", "`id` is given twice"),
        ("restart 1", "node 1 is running"),
        (
            "deliver 1 from=2 at=0ms DlHeartbeat{term=1 round=1 round=2}",
            "given twice",
        ),
    ];
    for (command, reason) in cases {
        let why = script_error(command);
        assert!(why.starts_with("t.txt:6: "), "{command}: {why}");
        assert!(why.contains(reason), "{command}: {why}");
    }
    // Time never goes backwards.
    let text = "node 1 at=10ms\n----\n\nstate 1\n----\n\ndeliver 1 from=2 at=5ms \
                VoteResponse{term=1 granted=true}\n----\n";
    let why = run_script("t.txt", text).err().expect("refused");
    assert!(why.contains("t.txt:7: time goes backwards"), "{why}");
}

#[test]
fn a_command_without_its_separator_is_an_error() {
    let why = run_script("t.txt", "# rule\nnode 1\nstate 1\n----\n")
        .err()
        .expect("refused");
    assert!(
        why.starts_with("t.txt:2: a command must be followed"),
        "{why}"
    );
    let why = run_script("t.txt", "----\nok\n").err().expect("refused");
    assert!(
        why.starts_with("t.txt:1: `----` without a command"),
        "{why}"
    );
}

#[test]
fn a_wrong_output_is_reported_with_a_diff_and_rewritten() {
    let text = "# rule\nnode 1 term=2\n----\nset-timer election at=1ms\nstate 1 leader\n";
    let outcome = run_script("t.txt", text).expect("well formed");
    assert_eq!(outcome.mismatches.len(), 1);
    let report = &outcome.mismatches[0];
    assert!(report.starts_with("t.txt:2: `node 1 term=2`"), "{report}");
    assert!(report.contains("    - state 1 leader\n"), "{report}");
    assert!(report.contains("    + state 1 follower term=2"), "{report}");
    let again = run_script("t.txt", &outcome.rewritten).expect("well formed");
    assert!(
        again.mismatches.is_empty(),
        "{}",
        again.mismatches.join("\n")
    );
    assert!(outcome
        .rewritten
        .starts_with("# rule\nnode 1 term=2\n----\nset-timer election at="));
}

#[test]
fn messages_print_as_they_parse() {
    use crate::raft::{ClassicMessage, DLedgerMessage};
    use crate::time::Instant;
    use fields::{format_instant, parse_instant};
    use text::{parse_message, ScriptMessage};
    fn round_trip<M: ScriptMessage>(text: &str) {
        let msg: M = parse_message(text).unwrap_or_else(|why| panic!("{text}: {why}"));
        assert_eq!(msg.format(), text);
    }
    let replication = [
        "AppendEntries{term=4 prev_index=2 prev_term=1 entries=[4,4:p7] commit=2}",
        "AppendEntries{term=4 prev_index=2 prev_term=1 entries=[] commit=2}",
        "AppendResponse{term=4 success=true index=4}",
        "InstallSnapshot{term=4 index=9 last_term=3 bytes=1152}",
    ];
    let classic = [
        "RequestVote{term=5 last_index=7 last_term=4}",
        "PreVote{term=5 last_index=7 last_term=4}",
        "VoteResponse{term=5 granted=true}",
        "PreVoteResponse{term=5 granted=false}",
    ];
    let dledger = [
        "DlVote{term=3 end_term=2 end_index=2 round=1}",
        "DlVoteReply{term=3 result=REJECT_TERM_SMALL_THAN_LEDGER round=1}",
        "DlHeartbeat{term=3 round=1}",
        "DlHeartbeatReply{term=3 code=INCONSISTENT_LEADER round=1}",
    ];
    for text in replication.iter().chain(&classic) {
        round_trip::<ClassicMessage>(text);
    }
    for text in replication.iter().chain(&dledger) {
        round_trip::<DLedgerMessage>(text);
    }
    // A node never reads another elector's messages.
    assert!(parse_message::<ClassicMessage>(dledger[0]).is_err());
    assert!(parse_message::<DLedgerMessage>(classic[0]).is_err());
    assert_eq!(parse_instant("2.5ms"), Ok(Instant::from_us(2_500)));
    assert_eq!(format_instant(Instant::from_us(2_500)), "2.5ms");
    assert_eq!(format_instant(Instant::from_us(234_567)), "234.567ms");
}
