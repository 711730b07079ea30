//! `lockscan server`: a language server over stdio.
//!
//! It checks the text in the editor, saved or not, on every change: an open or edited file's
//! whole unit (its workspace or package, or the file alone) is analysed with the open
//! documents' text in place of the disk's, and every file of the unit whose findings changed is
//! published again (a lock-order cycle has two halves, often in two files). Findings carry the
//! rule as their code (linked to its documentation) and every other place involved as related
//! information; fixes are quick-fix code actions; a hover on a finding shows the rule's
//! documentation. A change to `lockscan.toml` or a `Cargo.toml` (saved, or reported by the
//! client's file watcher) reloads the configuration.
//!
//! It never writes a file: fixes go to the editor as edits.
//!
//! * [`transport`]: framing, read defensively (size caps, resynchronisation).
//! * this module: the message loop, the protocol's life cycle, what is published.
//! * [`documents`]: open documents, positions in the negotiated encoding, URIs.
//! * [`schedule`]: analyses on a worker thread, debounced, cancelled when superseded.
//! * [`convert`]: findings as diagnostics, code actions and hovers.
//! * [`settings`]: the configuration that applies to a file.

mod convert;
mod documents;
mod schedule;
mod settings;
mod transport;

use convert::ClientCaps;
use crossbeam_channel::{Receiver, after, never, select};
use documents::{Documents, Encoding, uri_to_path};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use rustc_hash::FxHashMap;
use schedule::{Finished, Outcome, Scheduler};
use serde_json::{Value, json};
use settings::Settings;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::Incoming;

/// Runs the server on stdin and stdout until the client says `exit` or goes away. The exit code
/// is 0 after a `shutdown` request, 1 otherwise (as the protocol asks).
///
/// Facts of files on disk are kept in the on-disk cache in `cache_dir` (none when `None`);
/// the server writes nothing else.
pub fn run(cache_dir: Option<PathBuf>) -> i32 {
    let (tx, incoming) = crossbeam_channel::bounded::<Incoming>(64);
    let reader = std::thread::Builder::new()
        .name("lockscan-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            // A read error is the end of the input, like its end: the client is gone.
            while let Ok(Some(msg)) = transport::read(&mut input) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = reader {
        eprintln!("error: cannot start the server: {e}");
        return 1;
    }
    let scheduler = match Scheduler::start(None, cache_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the server's worker threads: {e}");
            return 1;
        }
    };
    let stdout = io::stdout();
    let mut server = Server::new(io::BufWriter::new(stdout.lock()), scheduler);
    server.serve(&incoming)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Before `initialize`: only `initialize` and `exit` are answered.
    Uninitialized,
    Running,
    /// After `shutdown`: only `exit` is.
    ShutDown,
}

/// What was published for one file.
struct Published {
    uri: lsp_types::Uri,
    version: Option<i32>,
    diagnostics: Vec<lsp_types::Diagnostic>,
}

struct Server<W: Write> {
    out: W,
    state: State,
    caps: ClientCaps,
    /// The client watches files for us when asked.
    watch_files: bool,
    docs: Documents,
    settings: Settings,
    scheduler: Scheduler,
    /// The last diagnostics published per file (files with none are left out).
    published: FxHashMap<PathBuf, Published>,
    /// The unit (by root) each analysed file belongs to.
    unit_of: FxHashMap<PathBuf, PathBuf>,
    /// Per unit, its files with diagnostics published.
    unit_files: FxHashMap<PathBuf, BTreeSet<PathBuf>>,
    /// The generation of the last configuration reload: older analyses are stale.
    reloaded_at: u64,
    next_request: i32,
}

/// The result of handling a message: go on, or exit with this code.
type Flow = io::Result<Option<i32>>;

impl<W: Write> Server<W> {
    fn new(out: W, scheduler: Scheduler) -> Self {
        Server {
            out,
            state: State::Uninitialized,
            caps: ClientCaps::default(),
            watch_files: false,
            docs: Documents::default(),
            settings: Settings::default(),
            scheduler,
            published: FxHashMap::default(),
            unit_of: FxHashMap::default(),
            unit_files: FxHashMap::default(),
            reloaded_at: 0,
            next_request: 1,
        }
    }

    fn exit_code(&self) -> i32 {
        i32::from(self.state != State::ShutDown)
    }

    fn serve(&mut self, incoming: &Receiver<Incoming>) -> i32 {
        let results = self.scheduler.results.clone();
        loop {
            if let Err(e) = self.start_due() {
                return self.gone(e);
            }
            let timer = match self.scheduler.next_due() {
                Some(due) => after(due.saturating_duration_since(Instant::now())),
                None => never(),
            };
            let flow = select! {
                recv(incoming) -> msg => match msg {
                    Ok(msg) => self.handle_guarded(msg),
                    // The input ended: the client is gone.
                    Err(_) => return self.exit_code(),
                },
                recv(results) -> done => match done {
                    Ok(done) => self.finished(done).map(|()| None),
                    Err(_) => {
                        let _ = self.log(1, "lockscan's analysis thread stopped; no more diagnostics will come");
                        return 1;
                    }
                },
                recv(timer) -> _ => Ok(None),
            };
            match flow {
                Ok(None) => {}
                Ok(Some(code)) => return code,
                Err(e) => return self.gone(e),
            }
        }
    }

    /// Writing failed: the client is gone.
    fn gone(&self, _e: io::Error) -> i32 {
        self.exit_code()
    }

    fn send(&mut self, msg: impl Into<Message>) -> io::Result<()> {
        transport::write(&mut self.out, msg.into())
    }

    fn notify(&mut self, method: &str, params: Value) -> io::Result<()> {
        self.send(Notification::new(method.into(), params))
    }

    /// `window/logMessage`: 1 error, 2 warning, 3 info, 4 log.
    fn log(&mut self, level: u8, message: &str) -> io::Result<()> {
        self.notify(
            "window/logMessage",
            json!({ "type": level, "message": message }),
        )
    }

    fn show(&mut self, level: u8, message: &str) -> io::Result<()> {
        self.notify(
            "window/showMessage",
            json!({ "type": level, "message": message }),
        )
    }

    /// [`Self::handle`], a panic caught and reported: lockscan should never panic, and if it
    /// does on one message, the editor keeps its server.
    fn handle_guarded(&mut self, msg: Incoming) -> Flow {
        let id = match &msg {
            Incoming::Message(Message::Request(r)) => Some(r.id.clone()),
            _ => None,
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(msg))) {
            Ok(flow) => flow,
            Err(_) => {
                let why = "lockscan failed on this message (please report this)";
                if let Some(id) = id {
                    self.send(Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        why.into(),
                    ))?;
                }
                self.log(1, why)?;
                Ok(None)
            }
        }
    }

    fn handle(&mut self, msg: Incoming) -> Flow {
        match msg {
            Incoming::Message(Message::Request(r)) => self.request(r).map(|()| None),
            Incoming::Message(Message::Notification(n)) => self.notification(n),
            // Answers to our requests (the file-watcher registration): nothing to do.
            Incoming::Message(Message::Response(_)) => Ok(None),
            Incoming::Invalid { id, code, reason } => {
                match id {
                    Some(id) => self.send(Response::new_err(id, code as i32, reason))?,
                    None => transport::write_unidentified_error(&mut self.out, code, &reason)?,
                }
                Ok(None)
            }
        }
    }

    fn request(&mut self, r: Request) -> io::Result<()> {
        let id = r.id.clone();
        let reply = match (self.state, r.method.as_str()) {
            (State::Uninitialized, "initialize") => Ok(self.initialize(&r.params)),
            (State::Uninitialized, _) => Err((
                ErrorCode::ServerNotInitialized,
                "the server is not initialized yet".to_string(),
            )),
            (State::ShutDown, _) => Err((
                ErrorCode::InvalidRequest,
                "the server is shutting down".to_string(),
            )),
            (State::Running, "initialize") => Err((
                ErrorCode::InvalidRequest,
                "the server is already initialized".to_string(),
            )),
            (State::Running, "shutdown") => {
                self.state = State::ShutDown;
                self.scheduler.clear();
                Ok(Value::Null)
            }
            (State::Running, "textDocument/hover") => self.hover(r.params),
            (State::Running, "textDocument/codeAction") => self.code_actions(r.params),
            (State::Running, method) => Err((
                ErrorCode::MethodNotFound,
                format!("lockscan does not handle `{method}`"),
            )),
        };
        let response = match reply {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(response)
    }

    fn notification(&mut self, n: Notification) -> Flow {
        if n.method == "exit" {
            return Ok(Some(self.exit_code()));
        }
        if self.state != State::Running {
            // Before `initialize` notifications are dropped; after `shutdown` too.
            return Ok(None);
        }
        let result = match n.method.as_str() {
            "initialized" => self.initialized(),
            "textDocument/didOpen" => params(n.params).and_then(|p| self.did_open(p)),
            "textDocument/didChange" => params(n.params).and_then(|p| self.did_change(p)),
            "textDocument/didClose" => params(n.params).and_then(|p| self.did_close(p)),
            "textDocument/didSave" => params(n.params).and_then(|p| self.did_save(p)),
            "workspace/didChangeWatchedFiles" => {
                params(n.params).and_then(|p| self.did_change_watched_files(p))
            }
            "workspace/didChangeConfiguration" => self.reload(),
            // `$/cancelRequest` (requests are answered at once), `$/setTrace`, and whatever
            // else: notifications lockscan does not act on are ignored.
            _ => Ok(()),
        };
        match result {
            Ok(()) => Ok(None),
            Err(Problem::Io(e)) => Err(e),
            Err(Problem::Params(why)) => {
                self.log(2, &format!("lockscan ignored `{}`: {why}", n.method))?;
                Ok(None)
            }
        }
    }

    fn initialize(&mut self, params: &Value) -> Value {
        let flag = |ptr: &str| params.pointer(ptr).and_then(Value::as_bool) == Some(true);
        let strings = |ptr: &str| -> Option<Vec<String>> {
            params.pointer(ptr).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
        };
        // The protocol's `positionEncodings` (3.17), or clangd's `offsetEncoding`, which
        // older clients (Neovim before 0.9) send.
        let standard = strings("/capabilities/general/positionEncodings");
        let clangd = strings("/capabilities/offsetEncoding");
        let encoding = match (&standard, &clangd) {
            (Some(list), _) => Encoding::choose(list.iter().map(String::as_str)),
            (None, Some(list)) => Encoding::choose(list.iter().map(String::as_str)),
            (None, None) => Encoding::Utf16,
        };
        self.caps = ClientCaps {
            encoding,
            related_information: flag(
                "/capabilities/textDocument/publishDiagnostics/relatedInformation",
            ),
            document_changes: flag("/capabilities/workspace/workspaceEdit/documentChanges"),
            markdown: strings("/capabilities/textDocument/hover/contentFormat")
                .is_none_or(|f| f.iter().any(|k| k == "markdown")),
        };
        self.watch_files =
            flag("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration");
        self.state = State::Running;
        let mut result = json!({
            "capabilities": {
                "positionEncoding": encoding.name(),
                "textDocumentSync": {
                    "openClose": true,
                    "change": 2, // incremental
                    "save": { "includeText": false },
                },
                "hoverProvider": true,
                "codeActionProvider": {
                    "codeActionKinds": ["quickfix"],
                    "resolveProvider": false,
                },
            },
            "serverInfo": { "name": "lockscan", "version": env!("CARGO_PKG_VERSION") },
        });
        if standard.is_none() && clangd.is_some() {
            result["offsetEncoding"] = json!(encoding.name());
        }
        result
    }

    fn initialized(&mut self) -> Result<(), Problem> {
        if !self.watch_files {
            return Ok(());
        }
        // Configuration and sources changed outside the editor (a `git checkout`).
        let id = RequestId::from(self.next_request);
        self.next_request += 1;
        let watchers: Vec<Value> = ["**/lockscan.toml", "**/Cargo.toml", "**/*.rs"]
            .iter()
            .map(|g| json!({ "globPattern": g }))
            .collect();
        let params = json!({ "registrations": [{
            "id": "lockscan-watched-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": { "watchers": watchers },
        }]});
        self.send(Request::new(id, "client/registerCapability".into(), params))?;
        Ok(())
    }

    fn did_open(&mut self, p: lsp_types::DidOpenTextDocumentParams) -> Result<(), Problem> {
        let doc = p.text_document;
        let Some(path) = uri_to_path(&doc.uri) else {
            return Ok(());
        };
        if doc.language_id != "rust" && path.extension().is_none_or(|e| e != "rs") {
            return Ok(());
        }
        self.docs.open(path.clone(), doc.uri, doc.version, doc.text);
        self.changed(path, Duration::ZERO);
        Ok(())
    }

    fn did_change(&mut self, p: lsp_types::DidChangeTextDocumentParams) -> Result<(), Problem> {
        let Some(path) = uri_to_path(&p.text_document.uri) else {
            return Ok(());
        };
        let (version, changes) = (p.text_document.version, p.content_changes);
        if self
            .docs
            .change(&path, version, changes, self.caps.encoding)
        {
            self.changed(path, schedule::DEBOUNCE);
        }
        Ok(())
    }

    fn did_close(&mut self, p: lsp_types::DidCloseTextDocumentParams) -> Result<(), Problem> {
        let Some(path) = uri_to_path(&p.text_document.uri) else {
            return Ok(());
        };
        if self.docs.close(&path).is_none() {
            return Ok(());
        }
        if path.is_file() {
            // What is on disk applies again.
            self.changed(path, Duration::ZERO);
        } else {
            // Never saved: its findings go with it (an analysis running with its text is
            // stale now, and will be dropped).
            self.clear(&path)?;
        }
        Ok(())
    }

    fn did_save(&mut self, p: lsp_types::DidSaveTextDocumentParams) -> Result<(), Problem> {
        if uri_to_path(&p.text_document.uri).is_some_and(|p| settings::is_config_file(&p)) {
            self.reload()?;
        }
        Ok(())
    }

    fn did_change_watched_files(
        &mut self,
        p: lsp_types::DidChangeWatchedFilesParams,
    ) -> Result<(), Problem> {
        let paths: Vec<PathBuf> = p
            .changes
            .iter()
            .filter_map(|c| uri_to_path(&c.uri))
            .collect();
        if paths.iter().any(|p| settings::is_config_file(p)) {
            return self.reload();
        }
        // A source changed on disk: the units of the open documents may see it.
        if paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "rs") && self.docs.get(p).is_none())
        {
            let generation = self.docs.bump();
            self.scheduler.cancel_running();
            for file in self.one_open_file_per_unit() {
                self.scheduler.request(file, Duration::ZERO, generation);
            }
        }
        Ok(())
    }

    /// The configuration may have changed: read it again and analyse every open unit.
    fn reload(&mut self) -> Result<(), Problem> {
        self.settings.reload();
        let generation = self.docs.bump();
        self.reloaded_at = generation;
        self.scheduler.cancel_running();
        for file in self.one_open_file_per_unit() {
            self.scheduler.request(file, Duration::ZERO, generation);
        }
        Ok(())
    }

    /// An open document of each unit with one (every open document whose unit is not known
    /// yet).
    fn one_open_file_per_unit(&self) -> Vec<PathBuf> {
        let mut seen: BTreeSet<&PathBuf> = BTreeSet::new();
        let mut files: Vec<PathBuf> = self.docs.paths().cloned().collect();
        files.sort();
        files
            .into_iter()
            .filter(|f| match self.unit_of.get(f) {
                Some(root) => seen.insert(root),
                None => true,
            })
            .collect()
    }

    /// A document was opened, edited or closed: analyse its unit after `delay`, and stop an
    /// analysis of the same unit that reads an older text.
    fn changed(&mut self, path: PathBuf, delay: Duration) {
        if let Some(running) = self.scheduler.running() {
            let same_unit = match (self.unit_of.get(&path), self.unit_of.get(running)) {
                (Some(a), Some(b)) => a == b,
                // Not analysed yet: it may be.
                _ => true,
            };
            if same_unit {
                self.scheduler.cancel_running();
            }
        }
        let generation = self.docs.generation();
        self.scheduler.request(path, delay, generation);
    }

    /// Starts the analysis that is due, if any (and none runs).
    fn start_due(&mut self) -> io::Result<()> {
        let Some(file) = self.scheduler.take_due(Instant::now()) else {
            return Ok(());
        };
        let (loaded, fresh_error) = self.settings.for_file(&file);
        if let (Some(e), true) = (&loaded.error, fresh_error) {
            let message = format!(
                "lockscan: {}; the default configuration applies until it is fixed",
                crate::render::sanitize(e)
            );
            self.show(1, &message)?;
        }
        let snapshot = convert::Snapshot {
            overlays: Arc::new(self.docs.overlays()),
            open: Arc::new(self.docs.versions()),
        };
        let generation = self.docs.generation();
        if !self
            .scheduler
            .start_job(file, generation, loaded.options, snapshot, self.caps)
        {
            self.log(1, "lockscan's analysis thread stopped")?;
        }
        Ok(())
    }

    /// An analysis reported back: publish what changed, unless the documents it read changed
    /// since (a newer analysis is on its way).
    fn finished(&mut self, done: Finished) -> io::Result<()> {
        self.scheduler.finished(&done);
        if self.state != State::Running {
            return Ok(());
        }
        let file = done.file.clone();
        match done.outcome {
            Outcome::Cancelled => Ok(()),
            Outcome::Failed(why) => {
                if !file.exists() && self.docs.get(&file).is_none() {
                    self.clear(&file)?;
                }
                self.log(1, &crate::render::sanitize(&why))
            }
            Outcome::Excluded => {
                if done.generation >= self.reloaded_at
                    && !self.docs.touched_after(&file, done.generation)
                {
                    self.publish(
                        &file,
                        None,
                        done.open.get(&file).map(|(_, v)| *v),
                        vec![],
                        true,
                    )?;
                }
                Ok(())
            }
            Outcome::Done {
                root,
                files,
                findings,
            } => {
                let stale = done.generation < self.reloaded_at
                    || files
                        .iter()
                        .chain(std::iter::once(&file))
                        .any(|f| self.docs.touched_after(f, done.generation));
                if stale {
                    return Ok(());
                }
                self.log(
                    4,
                    &format!(
                        "analysed {} files for `{}` in {} ms",
                        files.len(),
                        crate::render::sanitize(&file.display().to_string()),
                        done.elapsed.as_millis()
                    ),
                )?;
                for f in &files {
                    if let Some(old) = self.unit_of.insert(f.clone(), root.clone())
                        && old != root
                        && let Some(set) = self.unit_files.get_mut(&old)
                    {
                        set.remove(f);
                    }
                }
                let before = self.unit_files.remove(&root).unwrap_or_default();
                let mut now: BTreeSet<PathBuf> = BTreeSet::new();
                for ff in findings {
                    now.insert(ff.path.clone());
                    let force = ff.path == file;
                    self.publish(&ff.path, Some(ff.uri), ff.version, ff.diagnostics, force)?;
                }
                for gone in before.difference(&now) {
                    let version = done.open.get(gone).map(|(_, v)| *v);
                    self.publish(gone, None, version, vec![], false)?;
                }
                if !now.contains(&file) && !before.contains(&file) {
                    let version = done.open.get(&file).map(|(_, v)| *v);
                    self.publish(&file, None, version, vec![], true)?;
                }
                self.unit_files.insert(root, now);
                Ok(())
            }
        }
    }

    /// Publishes a file's diagnostics when they differ from what was published (or always,
    /// with `force`: the file just analysed, so that the client knows its version was).
    fn publish(
        &mut self,
        path: &Path,
        uri: Option<lsp_types::Uri>,
        version: Option<i32>,
        diagnostics: Vec<lsp_types::Diagnostic>,
        force: bool,
    ) -> io::Result<()> {
        let unchanged = match self.published.get(path) {
            Some(p) => p.diagnostics == diagnostics,
            None => diagnostics.is_empty(),
        };
        if unchanged && !force {
            return Ok(());
        }
        let uri = match (uri, self.docs.get(path), self.published.get(path)) {
            (Some(uri), _, _) => Some(uri),
            (None, Some(doc), _) => Some(doc.uri.clone()),
            (None, None, Some(p)) => Some(p.uri.clone()),
            (None, None, None) => documents::path_to_uri(path),
        };
        let Some(uri) = uri else {
            return Ok(());
        };
        let mut params = json!({ "uri": uri, "diagnostics": diagnostics });
        if let Some(v) = version {
            params["version"] = json!(v);
        }
        self.notify("textDocument/publishDiagnostics", params)?;
        if diagnostics.is_empty() {
            self.published.remove(path);
        } else {
            self.published.insert(
                path.to_path_buf(),
                Published {
                    uri,
                    version,
                    diagnostics,
                },
            );
        }
        Ok(())
    }

    /// Takes back every diagnostic published for `path`.
    fn clear(&mut self, path: &Path) -> io::Result<()> {
        if self.published.contains_key(path) {
            self.publish(path, None, None, vec![], true)?;
        }
        for set in self.unit_files.values_mut() {
            set.remove(path);
        }
        Ok(())
    }

    /// The diagnostics published for a document that are still about its current text.
    fn current(&self, uri: &lsp_types::Uri) -> Option<&Published> {
        let path = uri_to_path(uri)?;
        let p = self.published.get(&path)?;
        let version = self.docs.get(&path).map(|d| d.version);
        (p.version == version).then_some(p)
    }

    fn hover(&mut self, params: Value) -> Result<Value, (ErrorCode, String)> {
        let p: lsp_types::HoverParams = request_params(params)?;
        let at = p.text_document_position_params;
        let Some(published) = self.current(&at.text_document.uri) else {
            return Ok(Value::Null);
        };
        let hits: Vec<&lsp_types::Diagnostic> = published
            .diagnostics
            .iter()
            .filter(|d| convert::contains(&d.range, at.position))
            .collect();
        let Some(first) = hits.first() else {
            return Ok(Value::Null);
        };
        let text: Vec<String> = hits.iter().filter_map(|d| convert::hover_text(d)).collect();
        Ok(json!({
            "contents": {
                "kind": if self.caps.markdown { "markdown" } else { "plaintext" },
                "value": text.join("\n\n---\n\n"),
            },
            "range": first.range,
        }))
    }

    fn code_actions(&mut self, params: Value) -> Result<Value, (ErrorCode, String)> {
        /// The request, its context's diagnostics kept as they come: one a client mangled
        /// (Neovim 0.7 may send them without their range) is left out, not an error.
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Params {
            text_document: lsp_types::TextDocumentIdentifier,
            range: lsp_types::Range,
            #[serde(default)]
            context: Context,
        }
        #[derive(serde::Deserialize, Default)]
        struct Context {
            #[serde(default)]
            diagnostics: Vec<Value>,
            only: Option<Vec<String>>,
        }
        let p: Params = request_params(params)?;
        if let Some(only) = &p.context.only
            && !only.iter().any(|k| k.is_empty() || k == "quickfix")
        {
            return Ok(json!([]));
        }
        let Some(published) = self.current(&p.text_document.uri) else {
            return Ok(json!([]));
        };
        let named: Vec<lsp_types::Diagnostic> = p
            .context
            .diagnostics
            .into_iter()
            .filter_map(|d| serde_json::from_value::<lsp_types::Diagnostic>(d).ok())
            .filter(|d| d.source.as_deref() == Some("lockscan"))
            .collect();
        // The findings the request is about: those the client names (with their `data`),
        // and those published on the range (on the line, for a cursor).
        let mut found: Vec<&lsp_types::Diagnostic> = vec![];
        let named = named.iter();
        for d in named.chain(
            published
                .diagnostics
                .iter()
                .filter(|d| convert::applies_to(&d.range, &p.range)),
        ) {
            let same = |o: &&lsp_types::Diagnostic| {
                o.range == d.range && o.code == d.code && o.message == d.message
            };
            if !found.iter().any(same) {
                found.push(d);
            }
        }
        let actions: Vec<Value> = found
            .iter()
            .filter_map(|d| convert::code_action(d))
            .collect();
        Ok(Value::Array(actions))
    }
}

/// Why a notification could not be acted on.
enum Problem {
    Io(io::Error),
    Params(String),
}

impl From<io::Error> for Problem {
    fn from(e: io::Error) -> Problem {
        Problem::Io(e)
    }
}

fn params<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, Problem> {
    serde_json::from_value(v).map_err(|e| Problem::Params(format!("invalid parameters: {e}")))
}

fn request_params<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(v)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}
