//! bamboo-engine `runner_lifecycle.rs`, its tests rewritten against
//! runjournal: one running runner per session is a reservation
//! (`Journal::reserve`, exclusive in its session), the status from an
//! execution result is `Journal::finish`. Each asserts what the seed
//! asserts, then again after the journal is closed and reopened.
mod common;

use common::{check_and_reopen, TempDir};
use runjournal::{ErrorCode, ExecutionResult, Journal, NewRun, Run, RunStatus};

fn reserve(journal: &Journal, session: &str) -> runjournal::Result<Run> {
    journal.reserve(&NewRun { session_id: session.into(), ..Default::default() })
}

#[test]
fn try_reserve_runner_creates_runner_with_running_status() {
    let dir = TempDir::new("try_reserve_runner_creates_runner_with_running_status");
    let runners = Journal::open(dir.file("bamboo.journal")).unwrap();
    let token = reserve(&runners, "s1");
    assert!(token.is_ok());
    let run_id = token.unwrap().run_id;
    // The runner starts: AgentStatus::Running is a live, executing run.
    runners.append(&run_id, "run_started", "{}").unwrap();

    check_and_reopen(runners, |runners| {
        let runner = runners.current_run("s1").unwrap().unwrap();
        assert_eq!(runner.run_id, run_id);
        assert_eq!(runner.status, RunStatus::Executing);
    });
}

#[test]
fn try_reserve_runner_returns_none_when_already_running() {
    let dir = TempDir::new("try_reserve_runner_returns_none_when_already_running");
    let runners = Journal::open(dir.file("bamboo.journal")).unwrap();
    let first = reserve(&runners, "s1").unwrap();
    let second = reserve(&runners, "s1");
    let error = second.unwrap_err();
    assert_eq!(error.code(), ErrorCode::AlreadyRunning);
    // The caller surfaces the existing runner's run_id: the error names it.
    assert!(error.message().contains(&first.run_id), "{}", error);

    check_and_reopen(runners, |runners| {
        // Still refused after reopening, and nothing was written for it.
        assert_eq!(reserve(runners, "s1").unwrap_err().code(), ErrorCode::AlreadyRunning);
        assert_eq!(runners.runs(&Default::default()).unwrap().len(), 1);
    });
}

#[test]
fn try_reserve_runner_replaces_completed_runner() {
    let dir = TempDir::new("try_reserve_runner_replaces_completed_runner");
    let runners = Journal::open(dir.file("bamboo.journal")).unwrap();
    let first = reserve(&runners, "s1").unwrap();
    // runner.status = AgentStatus::Completed
    runners.finish(&first.run_id, &ExecutionResult::Ok { result_text: None, outputs: None }).unwrap();
    let second = reserve(&runners, "s1");
    assert!(second.is_ok());
    let second = second.unwrap();

    check_and_reopen(runners, |runners| {
        assert_eq!(runners.run(&first.run_id).unwrap().unwrap().status, RunStatus::Completed);
        assert_eq!(runners.current_run("s1").unwrap().unwrap().run_id, second.run_id);
    });
}

#[test]
fn status_from_execution_result_maps_correctly() {
    let dir = TempDir::new("status_from_execution_result_maps_correctly");
    let runners = Journal::open(dir.file("bamboo.journal")).unwrap();
    let ok = reserve(&runners, "ok").unwrap().run_id;
    let cancelled = reserve(&runners, "cancelled").unwrap().run_id;
    let failed = reserve(&runners, "failed").unwrap().run_id;

    let ok_run = runners.finish(&ok, &ExecutionResult::Ok { result_text: None, outputs: None }).unwrap();
    assert!(matches!(ok_run.status, RunStatus::Completed));
    // Cancellation is the Cancelled outcome, not a message to search.
    let cancelled_run = runners.finish(&cancelled, &ExecutionResult::Cancelled { reason: None }).unwrap();
    assert!(matches!(cancelled_run.status, RunStatus::Cancelled));
    let failed_run =
        runners.finish(&failed, &ExecutionResult::Error { message: "LLM error: network error".into() }).unwrap();
    match failed_run.status {
        RunStatus::Failed => assert!(failed_run.error.unwrap().contains("network error")),
        other => panic!("unexpected status: {:?}", other),
    }

    check_and_reopen(runners, |runners| {
        assert!(matches!(runners.run(&ok).unwrap().unwrap().status, RunStatus::Completed));
        assert!(matches!(runners.run(&cancelled).unwrap().unwrap().status, RunStatus::Cancelled));
        let failed = runners.run(&failed).unwrap().unwrap();
        assert!(matches!(failed.status, RunStatus::Failed));
        assert!(failed.error.unwrap().contains("network error"));
        // finalize_runner's completed_at: every finished run has its time.
        for id in [&ok, &cancelled] {
            assert!(runners.run(id).unwrap().unwrap().finished_at_ms.is_some());
        }
    });
}

#[test]
fn a_stale_runner_whose_process_died_is_replaced() {
    // The seed removes a stale runner before inserting a fresh one; the
    // journal judges a runner stale when its driving process is gone.
    let dir = TempDir::new("a_stale_runner_whose_process_died_is_replaced");
    let path = dir.file("bamboo.journal");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id() as i64;
    child.wait().unwrap();
    let me = {
        let probe = Journal::open(&path).unwrap();
        let run = reserve(&probe, "probe").unwrap();
        probe.finish(&run.run_id, &ExecutionResult::Cancelled { reason: None }).unwrap();
        run.driver.unwrap()
    };
    let crashed = Journal::open_with(
        &path,
        runjournal::Options::new().driver(runjournal::Driver { pid: dead_pid, start_time: 1, ..me }),
    )
    .unwrap();
    let stale = reserve(&crashed, "s1").unwrap();
    drop(crashed);

    let runners = Journal::open(&path).unwrap();
    let fresh = reserve(&runners, "s1").unwrap();
    check_and_reopen(runners, |runners| {
        assert_eq!(runners.run(&stale.run_id).unwrap().unwrap().status, RunStatus::Failed);
        assert_eq!(runners.current_run("s1").unwrap().unwrap().run_id, fresh.run_id);
    });
}
