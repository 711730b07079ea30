use std::sync::atomic::{AtomicU64, Ordering};

pub static HITS: AtomicU64 = AtomicU64::new(0);

pub struct Stats {
    bytes: AtomicU64,
    flags: AtomicU64,
}

pub fn hit() {
    HITS.store(HITS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

impl Stats {
    pub fn add(&self, k: u64) {
        self.bytes
            .store(self.bytes.load(Ordering::Acquire).wrapping_add(k), Ordering::Release);
    }

    pub fn take_two(&self) {
        self.bytes.store(self.bytes.load(Ordering::SeqCst) - 2, Ordering::SeqCst);
    }

    pub fn set_flag(&self, bit: u64) {
        self.flags.store(bit | self.flags.load(Ordering::Relaxed), Ordering::Release);
    }
}
