//! rust_api.rs — run the demo suite through tach's C API from Rust, with
//! the standard library only: the functions are declared by hand in an
//! `extern "C"` block and linked with `#[link(name = "tach")]`.
//!
//!     rust_api PROJECT_DIR
//!
//! Prints one line per test, "OUTCOME NODEID", then "tests: N".  Exit
//! status 0 when every call worked, 2 when one failed.
//!
//! Build (libtach.so in LIBDIR; Rust 1.61 or later, no crates):
//!     rustc --edition 2021 -L native=LIBDIR -C link-arg=-Wl,-rpath,LIBDIR rust_api.rs

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_double, c_int};
use std::process::ExitCode;
use std::ptr;

/// tach.h's first `tach_init_options` layout, field for field; `size` tells
/// the library which layout it got, later fields take their defaults.
#[repr(C)]
struct InitOptionsV1 {
    size: usize,
    project_root: *const c_char,
    args: *const *const c_char,
    nargs: usize,
    python: *const c_char,
    isolation: c_int, // 0: TACH_ISOLATION_AUTO
    timeout_seconds: c_double,
    worker_path: *const c_char,
    shim_path: *const c_char,
}

/// Opaque handles.
#[repr(C)]
struct Engine {
    _private: [u8; 0],
}
#[repr(C)]
struct TestResult {
    _private: [u8; 0],
}

#[link(name = "tach")]
extern "C" {
    // The exported tach_init_options_init fills the first layout (tach.h
    // redirects the name to the newest initialiser only at compile time).
    fn tach_init_options_init(opts: *mut InitOptionsV1) -> c_int;
    fn tach_init(out: *mut *mut Engine, opts: *const InitOptionsV1) -> c_int;
    fn tach_shutdown(engine: *mut Engine);
    fn tach_errmsg(engine: *const Engine) -> *const c_char;
    fn tach_snapshot(engine: *mut Engine) -> c_int;
    fn tach_test_count(engine: *const Engine) -> usize;
    fn tach_test_nodeid(engine: *const Engine, index: usize) -> *const c_char;
    fn tach_run_test(engine: *mut Engine, nodeid: *const c_char, out: *mut *mut TestResult)
        -> c_int;
    fn tach_restore(engine: *mut Engine) -> c_int;
    fn tach_result_outcome(result: *const TestResult) -> c_int;
    fn tach_outcome_name(outcome: c_int) -> *const c_char;
    fn tach_result_free(result: *mut TestResult);
}

/// Owns a tach_engine: shut down when dropped.
struct EngineHandle(*mut Engine);

impl Drop for EngineHandle {
    fn drop(&mut self) {
        unsafe { tach_shutdown(self.0) }
    }
}

impl EngineHandle {
    fn error(&self, call: &str) -> String {
        let message = unsafe { tach_errmsg(self.0) };
        let text = if message.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
        };
        format!("{call} failed: {text}")
    }
}

fn run(project: &str) -> Result<usize, String> {
    let root = CString::new(project).map_err(|e| e.to_string())?;
    let owned = [CString::new("-p").unwrap(), CString::new("no:cacheprovider").unwrap()];
    let args: Vec<*const c_char> = owned.iter().map(|a| a.as_ptr()).collect();
    let mut opts = std::mem::MaybeUninit::<InitOptionsV1>::zeroed();
    unsafe { tach_init_options_init(opts.as_mut_ptr()) };
    let mut opts = unsafe { opts.assume_init() };
    opts.size = std::mem::size_of::<InitOptionsV1>();
    opts.project_root = root.as_ptr();
    opts.args = args.as_ptr();
    opts.nargs = args.len();
    opts.timeout_seconds = 60.0;

    let mut raw: *mut Engine = ptr::null_mut();
    let status = unsafe { tach_init(&mut raw, &opts) };
    let engine = EngineHandle(raw); // shut down on every path, even a failed init
    if status != 0 {
        return Err(engine.error("tach_init"));
    }
    if unsafe { tach_snapshot(engine.0) } != 0 {
        return Err(engine.error("tach_snapshot"));
    }
    let count = unsafe { tach_test_count(engine.0) };
    for i in 0..count {
        let nodeid = unsafe { tach_test_nodeid(engine.0, i) };
        let mut result: *mut TestResult = ptr::null_mut();
        if unsafe { tach_run_test(engine.0, nodeid, &mut result) } != 0 {
            return Err(engine.error("tach_run_test"));
        }
        let outcome = unsafe { CStr::from_ptr(tach_outcome_name(tach_result_outcome(result))) };
        let name = unsafe { CStr::from_ptr(nodeid) };
        println!("{} {}", outcome.to_string_lossy(), name.to_string_lossy());
        unsafe { tach_result_free(result) };
        if unsafe { tach_restore(engine.0) } != 0 {
            return Err(engine.error("tach_restore"));
        }
    }
    Ok(count)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: rust_api PROJECT_DIR");
        return ExitCode::from(2);
    }
    match run(&args[1]) {
        Ok(count) => {
            println!("tests: {count}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("rust_api: {message}");
            ExitCode::from(2)
        }
    }
}
