//! A flag and a counter behind locks.

use std::sync::Mutex;

static SHUTDOWN: Mutex<bool> = Mutex::new(false);
static SERVED: Mutex<u64> = Mutex::new(0);

pub fn request_shutdown() {
    *SHUTDOWN.lock().unwrap() = true;
}

pub fn shutting_down() -> bool {
    *SHUTDOWN.lock().unwrap()
}

pub fn serve() {
    *SERVED.lock().unwrap() += 1;
}

pub fn served() -> u64 {
    let n = *SERVED.lock().unwrap();
    n
}

pub fn serve_all(n: usize) {
    (0..n).for_each(|_| *SERVED.lock().unwrap() += 1);
}
