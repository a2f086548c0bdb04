//! The Rust side of the bindings' benchmark (tools/bench_bindings.py): one
//! measurement per run, as runjournal-bench-native makes for the C++ API.
//!
//!   cargo run --release --example bench -- full|normal EVENTS FILE
//!
//! Prints the seconds EVENTS appends took, one event each, the file opened
//! and the run created beforehand.
use std::time::Instant;

use runjournal::{Durability, Journal, NewRun, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: bench full|normal EVENTS FILE");
        std::process::exit(2);
    }
    let durability = if args[1] == "full" { Durability::Full } else { Durability::Normal };
    let events: u64 = args[2].parse().expect("EVENTS is a number");
    let path = &args[3];
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{}", path, suffix));
    }
    let journal = Journal::open_with(path, Options::new().durability(durability)).unwrap();
    journal
        .create_run(&NewRun { session_id: "bench".into(), run_id: Some("r0".into()), ..Default::default() })
        .unwrap();
    // What a Rust host hands over: its payload already serialized.
    let payload = r#"{"tool_name":"search","args":{"query":"quarterly report","limit":10}}"#;
    let start = Instant::now();
    for _ in 0..events {
        journal.append("r0", "tool_called", payload).unwrap();
    }
    println!("{:.6}", start.elapsed().as_secs_f64());
}
