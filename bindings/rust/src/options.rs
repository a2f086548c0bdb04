//! How a journal is opened (`Options` of journal.hpp), with the clock and
//! id-generator hooks as closures.
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::Duration;

use crate::error::{check, Result};
use crate::ffi;
use crate::text::to_c;
use crate::types::Driver;

/// When a write that returned is safe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed: survives a power loss (the default).
    #[default]
    Full,
    /// Survives a crash of the process, not a power loss.
    Normal,
}

type Clock = Box<dyn Fn() -> i64 + Send + Sync>;
type IdGenerator = Box<dyn Fn() -> String + Send + Sync>;

/// Options for [`crate::Journal::open_with`]. Defaults are the library's:
/// create if missing, `Durability::Full`, 1 MiB payloads, 256-byte kinds,
/// a 10 s busy wait, the system clock, "run-" + a UUID v4 for run ids, this
/// process as the driver, a 30 s lease.
#[derive(Default)]
pub struct Options {
    create_if_missing: Option<bool>,
    read_only: bool,
    max_json_depth: Option<usize>,
    durability: Durability,
    max_payload_bytes: Option<usize>,
    max_kind_bytes: Option<usize>,
    busy_timeout: Option<Duration>,
    clock: Option<Clock>,
    id_generator: Option<IdGenerator>,
    vfs: Option<String>,
    driver: Option<Driver>,
    lease_ttl: Option<Duration>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }
    /// false: a missing or empty file is NotFound and nothing is written.
    pub fn create_if_missing(mut self, create: bool) -> Options {
        self.create_if_missing = Some(create);
        self
    }
    /// Open for reading only: nothing is ever written, and every write
    /// fails with ErrorCode::ReadOnly.
    pub fn read_only(mut self, read_only: bool) -> Options {
        self.read_only = read_only;
        self
    }
    /// The deepest JSON nesting accepted (default: what SQLite's JSON
    /// functions read, `runjournal::sqlite_json_max_depth()`).
    pub fn max_json_depth(mut self, depth: usize) -> Options {
        self.max_json_depth = Some(depth);
        self
    }
    pub fn durability(mut self, durability: Durability) -> Options {
        self.durability = durability;
        self
    }
    pub fn max_payload_bytes(mut self, bytes: usize) -> Options {
        self.max_payload_bytes = Some(bytes);
        self
    }
    pub fn max_kind_bytes(mut self, bytes: usize) -> Options {
        self.max_kind_bytes = Some(bytes);
        self
    }
    /// How long a write waits for another process's lock before Busy.
    pub fn busy_timeout(mut self, wait: Duration) -> Options {
        self.busy_timeout = Some(wait);
        self
    }
    /// Unix milliseconds for new events. Called from whichever thread
    /// writes; a clock that panics aborts the process (it cannot fail).
    pub fn clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Options {
        self.clock = Some(Box::new(clock));
        self
    }
    /// Ids for runs created without one. One that panics fails the create
    /// with ErrorCode::Aborted.
    pub fn id_generator(mut self, generate: impl Fn() -> String + Send + Sync + 'static) -> Options {
        self.id_generator = Some(Box::new(generate));
        self
    }
    /// The SQLite VFS to open the file through, by registered name.
    pub fn vfs(mut self, vfs: &str) -> Options {
        self.vfs = Some(vfs.to_string());
        self
    }
    /// The driver recorded for the runs this journal creates or resumes.
    pub fn driver(mut self, driver: Driver) -> Options {
        self.driver = Some(driver);
        self
    }
    pub fn lease_ttl(mut self, ttl: Duration) -> Options {
        self.lease_ttl = Some(ttl);
        self
    }
}

/// The hooks a journal keeps while it is open: the C side holds a pointer
/// to them (a Box, so it never moves).
pub(crate) struct Hooks {
    clock: Option<Clock>,
    id_generator: Option<IdGenerator>,
}

extern "C" fn clock_trampoline(user: *mut c_void) -> i64 {
    // SAFETY: `user` is the journal's boxed Hooks, alive while it is open.
    let hooks = unsafe { &*(user as *const Hooks) };
    match catch_unwind(AssertUnwindSafe(|| hooks.clock.as_ref().map_or(0, |c| c()))) {
        Ok(ms) => ms,
        Err(_) => std::process::abort(),
    }
}

extern "C" fn id_trampoline(user: *mut c_void, buffer: *mut c_char, capacity: usize) -> c_int {
    // SAFETY: as above; buffer holds `capacity` bytes.
    let hooks = unsafe { &*(user as *const Hooks) };
    let id = match catch_unwind(AssertUnwindSafe(|| hooks.id_generator.as_ref().map(|g| g()))) {
        Ok(Some(id)) => id,
        _ => return 1,
    };
    if id.len() + 1 > capacity || id.as_bytes().contains(&0) {
        return 2;
    }
    unsafe {
        ptr::copy_nonoverlapping(id.as_ptr() as *const c_char, buffer, id.len());
        *buffer.add(id.len()) = 0;
    }
    0
}

/// rj_options made from `Options`, freed on drop.
pub(crate) struct RawOptions(pub(crate) *mut ffi::rj_options);

impl Drop for RawOptions {
    fn drop(&mut self) {
        unsafe { ffi::rj_options_free(self.0) }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Options {
    /// The C options, and the hooks they point into.
    pub(crate) fn into_raw(self) -> Result<(RawOptions, Box<Hooks>)> {
        let hooks = Box::new(Hooks { clock: self.clock, id_generator: self.id_generator });
        let mut raw = ptr::null_mut();
        check(unsafe { ffi::rj_options_new(&mut raw) })?;
        let options = RawOptions(raw);
        let user = &*hooks as *const Hooks as *mut c_void;
        unsafe {
            if let Some(create) = self.create_if_missing {
                check(ffi::rj_options_set_create_if_missing(raw, create as c_int))?;
            }
            if self.read_only {
                check(ffi::rj_options_set_read_only(raw, 1))?;
            }
            if let Some(depth) = self.max_json_depth {
                check(ffi::rj_options_set_max_json_depth(raw, depth))?;
            }
            check(ffi::rj_options_set_durability(raw, if self.durability == Durability::Normal { 1 } else { 0 }))?;
            if let Some(bytes) = self.max_payload_bytes {
                check(ffi::rj_options_set_max_payload_bytes(raw, bytes))?;
            }
            if let Some(bytes) = self.max_kind_bytes {
                check(ffi::rj_options_set_max_kind_bytes(raw, bytes))?;
            }
            if let Some(wait) = self.busy_timeout {
                check(ffi::rj_options_set_busy_timeout_ms(raw, millis(wait)))?;
            }
            if hooks.clock.is_some() {
                check(ffi::rj_options_set_clock(raw, Some(clock_trampoline), user))?;
            }
            if hooks.id_generator.is_some() {
                check(ffi::rj_options_set_id_generator(raw, Some(id_trampoline), user))?;
            }
            if let Some(vfs) = &self.vfs {
                let vfs: CString = to_c(vfs, "vfs")?;
                check(ffi::rj_options_set_vfs(raw, vfs.as_ptr()))?;
            }
            if let Some(d) = &self.driver {
                let host = to_c(&d.host, "driver host")?;
                let boot = to_c(&d.boot_id, "driver boot id")?;
                check(ffi::rj_options_set_driver(raw, host.as_ptr(), d.pid, d.start_time, boot.as_ptr()))?;
            }
            if let Some(ttl) = self.lease_ttl {
                check(ffi::rj_options_set_lease_ttl_ms(raw, millis(ttl)))?;
            }
        }
        Ok((options, hooks))
    }
}
