//! a3s-code-core `run.rs`, its tests rewritten against runjournal: the
//! InMemoryRunStore becomes a journal, AgentEvents become events (a3s's own
//! kind names, `start` and `end`, are aliases the projector knows), the
//! RunHandle's cancel becomes `cancel_if_live`. Each test asserts what the
//! seed asserts, then again after the journal is closed and reopened.
mod common;

use common::{check_and_reopen, TempDir};
use runjournal::{Journal, NewRun, Run, RunQuery, RunStatus};

fn new_run(session: &str, prompt: &str) -> NewRun {
    NewRun { session_id: session.into(), prompt: prompt.into(), ..Default::default() }
}

#[test]
fn run_store_tracks_status_and_events() {
    let dir = TempDir::new("run_store_tracks_status_and_events");
    let store = Journal::open(dir.file("a3s.journal")).unwrap();
    let run = store.create_run(&new_run("session-1", "fix tests")).unwrap();
    // AgentEvent::Start { prompt } and AgentEvent::End { text: "done", .. }.
    store.append(&run.run_id, "start", r#"{"prompt": "fix tests"}"#).unwrap();
    store.append(&run.run_id, "end", r#"{"result_text": "done", "usage": {}, "meta": null}"#).unwrap();

    check_and_reopen(store, |store| {
        let snapshot = store.run(&run.run_id).unwrap().unwrap();
        assert_eq!(snapshot.status, RunStatus::Completed);
        assert_eq!(snapshot.result_text.as_deref(), Some("done"));
        // The seed counts its two recorded events; a journal records the
        // run's creation too (seq 1), so the same two follow it.
        assert_eq!(snapshot.event_count, 3);
        let events: Vec<_> = store.events(&run.run_id).map(Result::unwrap).collect();
        assert_eq!(events.len(), 3);
        assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["run_created", "start", "end"]);
    });
}

#[test]
fn run_store_replaces_persisted_records() {
    let dir = TempDir::new("run_store_replaces_persisted_records");
    let source = Journal::open(dir.file("source.journal")).unwrap();
    let run = source.create_run(&new_run("session-1", "persist")).unwrap();
    source.append(&run.run_id, "start", r#"{"prompt": "persist"}"#).unwrap();

    // target.replace_records(source.records()): through export and import.
    let mut records = Vec::new();
    source.export(None, &mut records).unwrap();
    let target = Journal::open(dir.file("target.journal")).unwrap();
    let report = target.import_records(&mut records.as_slice()).unwrap();
    assert_eq!(report.runs_imported, 1);

    check_and_reopen(target, |target| {
        assert_eq!(target.runs(&RunQuery::default()).unwrap().len(), 1);
        // The seed's one recorded event, after the run's creation.
        assert_eq!(target.events(&run.run_id).count(), 2);
        let snapshot = target.run(&run.run_id).unwrap().unwrap();
        assert_eq!(snapshot.event_count, 2);
        assert_eq!(snapshot.status, RunStatus::Executing);
        assert_eq!(snapshot.prompt, "persist");
    });
}

/// The seed's RunHandle: a run id and its session over the shared store;
/// cancel() cancels only when the run is its session's current run.
struct RunHandle<'a> {
    journal: &'a Journal,
    id: String,
}

impl<'a> RunHandle<'a> {
    fn cancel(&self) -> bool {
        self.journal.cancel_if_live(&self.id, Some("cancelled by host")).unwrap()
    }
    fn status(&self) -> Option<RunStatus> {
        self.journal.run(&self.id).unwrap().map(|run| run.status)
    }
}

#[test]
fn run_handle_only_cancels_current_run() {
    let dir = TempDir::new("run_handle_only_cancels_current_run");
    let store = Journal::open(dir.file("a3s.journal")).unwrap();
    let run = store.create_run(&new_run("session-1", "fix tests")).unwrap();
    let handle = RunHandle { journal: &store, id: run.run_id.clone() };

    assert!(handle.cancel());
    assert_eq!(handle.status(), Some(RunStatus::Cancelled));

    // *current_run_id = Some("other-run"): another run becomes the
    // session's current one. The cancelled run is not it, and neither is
    // a live run that a newer one has replaced as current.
    let other = store.create_run(&NewRun { run_id: Some("other-run".into()), ..new_run("session-1", "next") }).unwrap();
    let newest = store.create_run(&new_run("session-1", "newest")).unwrap();
    assert!(!handle.cancel());
    assert!(!RunHandle { journal: &store, id: other.run_id.clone() }.cancel());
    let before = store.last_position().unwrap();

    check_and_reopen(store, |store| {
        let handle = RunHandle { journal: store, id: run.run_id.clone() };
        assert_eq!(handle.status(), Some(RunStatus::Cancelled));
        assert_eq!(store.run("other-run").unwrap().unwrap().status, RunStatus::Created);
        assert_eq!(store.current_run("session-1").unwrap().map(|r: Run| r.run_id), Some(newest.run_id.clone()));
        // The refused cancels wrote nothing.
        assert_eq!(store.last_position().unwrap(), before);
    });
}
