use std::thread;

static mut COUNTER: u64 = 0;
static mut SHUTTING_DOWN: bool = false;
static mut NEXT_TICKET: u64 = 0;

pub fn increment_counter() {
    for _ in 0..100_000 {
        unsafe { COUNTER += 1 }
    }
}

pub fn race() -> u64 {
    let t1 = thread::spawn(increment_counter);
    let t2 = thread::spawn(increment_counter);
    t1.join().unwrap();
    t2.join().unwrap();
    unsafe { COUNTER }
}

/// Two callers must never get the same ticket: the bump and the read are one step.
pub fn next_ticket() -> u64 {
    unsafe {
        NEXT_TICKET += 1;
        NEXT_TICKET
    }
}

pub fn shutdown() {
    unsafe {
        SHUTTING_DOWN = true;
    }
}

pub fn running() -> bool {
    unsafe { !SHUTTING_DOWN }
}

pub mod config {
    pub static mut VERBOSE: u8 = 0;

    pub fn verbose() -> bool {
        unsafe { VERBOSE > 0 }
    }
}

pub fn set_verbose(level: u8) {
    unsafe { config::VERBOSE = level }
}
