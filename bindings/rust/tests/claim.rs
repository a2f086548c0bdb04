//! Recovery by several hosts at once (`claim_recovered`): journals posing
//! as two hosts in this process claim the cut-off runs of a third that
//! crashed; each run is claimed by exactly one of them, a limit bounds a
//! claim, and a bad payload or a read-only journal is refused, writing
//! nothing.
mod common;

use std::path::Path;

use common::TempDir;
use runjournal::*;

/// A run cut off while executing: its driver's host crashed, and no lease
/// speaks for it.
fn create_cut_off(journal: &Journal, run_id: &str) {
    let driver = r#"{"host": "host-gone", "pid": 1, "start_time": 1, "boot_id": "boot-of-host-gone"}"#;
    let created = format!(r#"{{"session_id": "s-{}", "driver": {}}}"#, run_id, driver);
    journal.append(run_id, "run_created", &created).unwrap();
    journal.append(run_id, "run_started", "{}").unwrap();
}

/// A host of its own: this process (`me`, a driver this process recorded),
/// under another host name and boot id, so other hosts judge its runs by
/// its heartbeat lease.
fn as_host(path: &Path, me: &Driver, host: &str) -> Journal {
    let driver = Driver { host: host.into(), boot_id: format!("boot-of-{}", host), ..me.clone() };
    Journal::open_with(path, Options::new().driver(driver)).unwrap()
}

/// How many run_resumed events the run has.
fn resumes(journal: &Journal, run_id: &str) -> usize {
    journal.events(run_id).filter(|e| e.as_ref().unwrap().kind == "run_resumed").count()
}

fn ids(claimed: &[RecoveredRun]) -> Vec<&str> {
    claimed.iter().map(|r| r.run.run_id.as_str()).collect()
}

#[test]
fn each_cut_off_run_is_claimed_by_exactly_one_host_and_a_limit_bounds_a_claim() {
    let dir = TempDir::new("claim");
    let path = dir.file("j.journal");
    // Opened first and kept: the process's writer refreshes the lease of
    // this process's own host, not of the hosts posed as below.
    let setup = Journal::open(&path).unwrap();
    // A run this process drives, on a host whose lease is fresh: never claimed.
    let live =
        setup.create_run(&NewRun { session_id: "live".into(), run_id: Some("alive".into()), ..Default::default() });
    let me = live.unwrap().driver.expect("a run created here records this process");
    for id in ["r0", "r1", "r2"] {
        create_cut_off(&setup, id);
    }
    setup.save_checkpoint("r0", "cp-0", r#"{"step": 7}"#).unwrap();
    let host_a = as_host(&path, &me, "host-a");
    let host_b = as_host(&path, &me, "host-b");

    // A limit of 0 claims nothing and writes no event.
    let before = setup.last_position().unwrap();
    assert!(host_a.claim_recovered(&ClaimOptions { limit: Some(0), ..Default::default() }).unwrap().is_empty());
    assert_eq!(setup.last_position().unwrap(), before);

    // host-a takes two, oldest first: executing, driven by it, checkpoints kept.
    let first = host_a.claim_recovered(&ClaimOptions { limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(ids(&first), ["r0", "r1"]);
    for r in &first {
        assert_eq!(r.run.status, RunStatus::Executing);
        assert_eq!(r.run.driver.as_ref().unwrap().host, "host-a");
        assert!(r.why.contains("host-gone"), "{}", r.why);
    }
    let checkpoint = first[0].checkpoint.as_ref().expect("r0's checkpoint");
    assert_eq!((checkpoint.checkpoint_id.as_str(), checkpoint.state.as_str()), ("cp-0", r#"{"step":7}"#));
    assert!(first[1].checkpoint.is_none());

    // host-b, unbounded, gets only what host-a left: host-a's lease speaks
    // for the runs it claimed.
    let payload = ClaimOptions { payload: Some(r#"{"attempt": 2}"#.into()), ..Default::default() };
    let second = host_b.claim_recovered(&payload).unwrap();
    assert_eq!(ids(&second), ["r2"]);
    assert_eq!(second[0].run.driver.as_ref().unwrap().host, "host-b");
    let resumed = setup.events("r2").last().unwrap().unwrap();
    assert_eq!(resumed.kind, "run_resumed");
    assert!(resumed.payload.contains(r#""attempt":2"#), "{}", resumed.payload);
    assert!(resumed.payload.contains(r#""host":"host-b""#), "{}", resumed.payload);

    // Nothing is left for anyone, and no run was resumed twice.
    let everything = ClaimOptions { include_interrupted: true, ..Default::default() };
    assert!(host_a.claim_recovered(&everything).unwrap().is_empty());
    assert!(host_b.claim_recovered(&everything).unwrap().is_empty());
    for id in ["r0", "r1", "r2"] {
        assert_eq!(resumes(&setup, id), 1, "{}", id);
    }
    assert_eq!(resumes(&setup, "alive"), 0);
}

#[test]
fn a_bad_payload_or_a_read_only_journal_is_refused_writing_nothing() {
    let dir = TempDir::new("claim_refused");
    let path = dir.file("j.journal");
    let setup = Journal::open(&path).unwrap();
    let me = setup.create_run(&NewRun { session_id: "live".into(), ..Default::default() }).unwrap().driver.unwrap();
    create_cut_off(&setup, "r");
    let position = setup.last_position().unwrap();
    let table = setup.runs(&RunQuery::default()).unwrap();

    let claimant = as_host(&path, &me, "host-a");
    let driver = r#"{"driver": {"host": "elsewhere", "pid": 1, "start_time": 1, "boot_id": "b"}}"#;
    for payload in ["[1, 2]", r#""resume""#, "{", driver] {
        let refused = claimant
            .claim_recovered(&ClaimOptions { payload: Some(payload.into()), ..Default::default() })
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidArgument, "{}: {}", payload, refused.message());
    }
    let nul = claimant.claim_recovered(&ClaimOptions { payload: Some("{}\0".into()), ..Default::default() });
    assert_eq!(nul.unwrap_err().code(), ErrorCode::InvalidArgument);
    let reader = Journal::open_with(&path, Options::new().read_only(true)).unwrap();
    assert_eq!(reader.claim_recovered(&Default::default()).unwrap_err().code(), ErrorCode::ReadOnly);

    assert_eq!(setup.last_position().unwrap(), position);
    assert_eq!(setup.runs(&RunQuery::default()).unwrap(), table);
    // Still there to claim.
    assert_eq!(ids(&claimant.claim_recovered(&Default::default()).unwrap()), ["r"]);
}
