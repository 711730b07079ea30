#![allow(let_underscore_lock, unused_must_use)]

use std::sync::Mutex;

pub struct Journal {
    section: Mutex<()>,
    entries: Mutex<Vec<String>>,
}

impl Journal {
    pub fn write_both(&self, a: &str, b: &str) {
        let _ = self.section.lock().unwrap();
        println!("{a}");
        println!("{b}");
    }

    pub fn append(&self, line: String) {
        self.entries.lock();
        println!("{line}");
    }

    pub fn clear(&self) {
        _ = self.entries.lock().unwrap();
        println!("cleared");
    }
}
