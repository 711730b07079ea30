use std::sync::Mutex;
use std::thread;
use std::time::Duration;

pub struct Limiter {
    tokens: Mutex<u32>,
    log: Mutex<Vec<String>>,
}

impl Limiter {
    pub fn take(&self) {
        let mut tokens = self.tokens.lock().unwrap();
        *tokens -= 1;
        thread::sleep(Duration::from_millis(5));
        println!("took one");
    }

    pub fn record(&self, line: &str) {
        let mut log = self.log.lock().unwrap();
        log.push(line.to_string());
        if log.len() > 10 {
            log.clear();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
