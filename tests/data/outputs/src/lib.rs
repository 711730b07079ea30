use std::sync::Mutex;
use std::thread;
use std::time::Duration;

pub struct Account {
    history: Mutex<Vec<u64>>,
    log: Mutex<Vec<String>>,
}

impl Account {
    /// Locks `history` twice: the second `lock()` waits for the first guard forever.
    pub fn deposit(&self, amount: u64) {
        let mut history = self.history.lock().unwrap();
        history.push(amount);
        let again = self.history.lock().unwrap();
        println!("{}", again.len());
    }

    /// Sleeps while holding `log`.
    pub fn audit(&self) {
        let log = self.log.lock().unwrap();
        thread::sleep(Duration::from_millis(10));
        println!("{}", log.len());
    }

    // lockscan: allow(guard_across_sleep) -- rate-limits the log on purpose
    pub fn throttle(&self) {
        let log = self.log.lock().unwrap();
        thread::sleep(Duration::from_millis(10));
        drop(log);
    }

    pub fn report(&self) -> usize {
        // lockscan: allow(double_lock) -- nothing to suppress here any more
        self.history.lock().unwrap().len()
    }

    pub fn flush(&self) {
        self.log.lock().unwrap().clear(); // lockscan: allow(guard_across_slep) -- typo
    }
}

static mut COUNTER: u64 = 0;

pub fn count() {
    unsafe { COUNTER += 1 }
}
