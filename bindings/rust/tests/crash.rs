//! A host killed with SIGKILL mid-run, and recovered: the parent starts
//! this same binary as a child that drives a run (steps, a checkpoint) and
//! says "ready"; the parent kills it with SIGKILL, reopens the journal,
//! finds the run through recover() with its checkpoint, resumes it from
//! there and completes it.
//!
//! Its own main() (harness = false): the child is this binary run with
//! `child JOURNAL`.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use runjournal::{ExecutionResult, Journal, NewRun, RunStatus};

const RUN: &str = "crash-run";

fn child(path: &str) {
    let journal = Journal::open(path).unwrap();
    journal
        .create_run(&NewRun {
            session_id: "agent".into(),
            prompt: "long task".into(),
            run_id: Some(RUN.into()),
            ..Default::default()
        })
        .unwrap();
    journal.append(RUN, "run_started", "{}").unwrap();
    for step in 1..=3 {
        journal.append(RUN, "step_started", &format!(r#"{{"step": {}}}"#, step)).unwrap();
        journal.append(RUN, "tool_called", r#"{"tool_name": "search"}"#).unwrap();
    }
    journal.save_checkpoint(RUN, "cp-3", r#"{"step": 3, "notes": ["a", "b"]}"#).unwrap();
    println!("ready");
    // Mid-run: still working when the kill comes.
    loop {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn parent() {
    let dir = common::TempDir::new("crash");
    let path = dir.file("crash.journal");
    let mut child =
        Command::new(std::env::current_exe().unwrap()).arg("child").arg(&path).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the child did not get ready");
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no goodbye
    let status = child.wait().unwrap();
    assert!(!status.success());
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "the child was not killed by SIGKILL");
    }

    let journal = Journal::open(&path).unwrap();
    let found = journal.recover(false).unwrap();
    assert_eq!(found.len(), 1);
    let cut_off = &found[0];
    assert_eq!(cut_off.run.run_id, RUN);
    assert_eq!(cut_off.run.status, RunStatus::Executing);
    assert_eq!(cut_off.run.event_count, 9);
    assert!(cut_off.why.contains("exited"), "why: {}", cut_off.why);
    let checkpoint = cut_off.checkpoint.as_ref().expect("the checkpoint survived the kill");
    assert_eq!(checkpoint.checkpoint_id, "cp-3");
    assert_eq!(checkpoint.state, r#"{"notes":["a","b"],"step":3}"#);

    // Resume from the checkpoint: this process drives the run now, so it
    // is no longer listed, and it goes on to complete.
    let resumed = journal.resume_run(RUN, r#"{"from_checkpoint": "cp-3"}"#, &Default::default()).unwrap();
    assert_eq!(resumed.status, RunStatus::Executing);
    assert_eq!(resumed.driver.unwrap().pid, std::process::id() as i64);
    assert!(journal.recover(true).unwrap().is_empty());
    journal.append(RUN, "step_started", r#"{"step": 4}"#).unwrap();
    let done = journal
        .finish(RUN, &ExecutionResult::Ok { result_text: Some("done after a crash".into()), outputs: None })
        .unwrap();
    assert_eq!(done.status, RunStatus::Completed);
    assert_eq!(done.event_count, 12);
    assert!(journal.verify().unwrap().ok());
    drop(journal);
    let reopened = Journal::open(&path).unwrap();
    assert_eq!(reopened.run(RUN).unwrap().unwrap().result_text.as_deref(), Some("done after a crash"));
    println!("crash: a SIGKILLed run was recovered from its checkpoint and completed: ok");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "child" {
        child(&args[2]);
    } else {
        parent();
    }
}
