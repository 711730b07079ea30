use std::mem;
use std::sync::Mutex;

pub struct Machine {
    state: Mutex<u32>,
}

impl Machine {
    pub fn start(&self) {
        let mut guard = self.state.lock().unwrap();
        *guard += 1;
        mem::forget(guard);
    }

    pub fn freeze(&self) {
        std::mem::forget(self.state.lock().unwrap());
    }
}
