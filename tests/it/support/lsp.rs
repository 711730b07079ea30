//! A small language-server client over a child process's stdio, for the server's tests and
//! its benchmark (`examples/server_bench.rs`): framed JSON-RPC out, every message in read by a
//! thread, the latest diagnostics kept per URI.
#![allow(dead_code)] // each user takes what it needs

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any wait lasts before the test fails (generous: CI machines are shared).
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Every message the server sent, in order.
    pub log: Vec<Value>,
    /// The latest `publishDiagnostics` per URI, and how many there were.
    pub diagnostics: HashMap<String, Publish>,
}

#[derive(Clone, Debug, Default)]
pub struct Publish {
    pub version: Option<i64>,
    pub diagnostics: Vec<Value>,
    pub count: usize,
}

impl Client {
    /// Starts `bin server` in `cwd`.
    pub fn start(bin: &Path, cwd: &Path) -> Client {
        let mut child = Command::new(bin)
            .arg("server")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            rx,
            next_id: 1,
            log: vec![],
            diagnostics: HashMap::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes raw bytes to the server.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Sends a request and waits for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.wait_for(&format!("the response to `{method}`"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        })
    }

    /// `initialize` with these client capabilities, then `initialized`; the result.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        let response = self.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities }),
        );
        self.notify("initialized", json!({}));
        response["result"].clone()
    }

    /// Closes the server's input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Reads messages until one satisfies `pred`, which is returned; fails after [`TIMEOUT`].
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => panic!(
                    "timed out waiting for {what}; the server sent:\n{}",
                    self.transcript()
                ),
            }
        }
    }

    /// Reads messages until the diagnostics published satisfy `pred` (the state, not one
    /// message); fails after [`TIMEOUT`].
    pub fn wait_until(&mut self, what: &str, pred: impl Fn(&HashMap<String, Publish>) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !pred(&self.diagnostics) {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.next(left).is_none() {
                panic!(
                    "timed out waiting for {what}; the server sent:\n{}",
                    self.transcript()
                );
            }
        }
    }

    /// Waits for the diagnostics of `uri` at `version` (the server publishes every analysed
    /// document's diagnostics with the version it analysed) and returns them.
    pub fn diagnostics_at(&mut self, uri: &str, version: i64) -> Vec<Value> {
        self.wait_until(
            &format!("diagnostics for {uri} at version {version}"),
            |d| d.get(uri).is_some_and(|p| p.version == Some(version)),
        );
        self.diagnostics[uri].diagnostics.clone()
    }

    /// The next message, within `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<Value> {
        let m = match self.rx.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        };
        if m["method"] == "textDocument/publishDiagnostics" {
            let uri = m["params"]["uri"].as_str().unwrap_or_default().to_string();
            let entry = self.diagnostics.entry(uri).or_default();
            entry.version = m["params"]["version"].as_i64();
            entry.diagnostics = m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            entry.count += 1;
        }
        self.log.push(m.clone());
        Some(m)
    }

    /// Everything read so far, one message a line.
    pub fn transcript(&self) -> String {
        self.log
            .iter()
            .map(|m| {
                let s = m.to_string();
                if s.len() > 600 {
                    format!("{}…", &s[..600])
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Messages that arrive within `quiet` from now.
    pub fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = vec![];
        while let Some(m) = self.next(quiet) {
            out.push(m);
        }
        out
    }

    /// Waits for the server to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `shutdown`, `exit`, and the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        let status = self.wait_exit(TIMEOUT);
        status.expect("the server exits after `exit`")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One framed message; `None` at the end (or on anything malformed: the server must not).
fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(": ")?;
        assert!(
            name.eq_ignore_ascii_case("Content-Length"),
            "unexpected header `{line}`"
        );
        length = Some(value.parse::<usize>().ok()?);
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("the server sends JSON"))
}

/// The `file:` URI of an absolute path (ASCII paths only: what the tests use).
pub fn uri(path: &Path) -> String {
    let s = path.to_str().expect("a UTF-8 path");
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
