//! Discovery: which files to read, which crate each belongs to, and how they group into units.
//!
//! A *unit* is what whole-crate analysis sees at once: a workspace (all its member packages), a
//! package outside any workspace, or the loose `.rs` files under a path with no `Cargo.toml`.
//! A path named on the command line is analysed in the context of its unit: naming
//! `src/lib.rs` reads the whole crate, but only findings that touch the named paths are reported.

use crate::extract::Edition;
use crate::span::FileId;
use rustc_hash::FxHashMap;
use std::path::{Component, Path, PathBuf};

#[derive(Debug)]
pub struct Project {
    pub files: Vec<SourceFile>,
    pub units: Vec<Unit>,
    pub packages: Vec<Package>,
}

impl Project {
    /// A project of one loose file, requested: what [`crate::driver::analyse_source`] and
    /// the fuzzer analyse.
    pub fn one_file(path: PathBuf, display: String) -> Project {
        Project {
            files: vec![SourceFile {
                path,
                display,
                unit: 0,
                package: None,
                requested: true,
                unreadable: None,
            }],
            units: vec![Unit {
                root: PathBuf::new(),
                files: vec![FileId(0)],
                packages: vec![],
            }],
            packages: vec![],
        }
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path to read.
    pub path: PathBuf,
    /// The path as the user would type it: relative to the working directory when under it.
    pub display: String,
    pub unit: u32,
    /// `None` for loose files.
    pub package: Option<u32>,
    /// Under a path the user named: findings here are reported.
    pub requested: bool,
    /// A directory the walk could not read, and why: it stands for the files it may hold.
    pub unreadable: Option<String>,
}

#[derive(Debug)]
pub struct Unit {
    pub root: PathBuf,
    pub files: Vec<FileId>,
    pub packages: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Lib,
    Bin,
    Test,
    Example,
    Bench,
    Build,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetKind,
    /// The crate name as code refers to it (`-` turned into `_`).
    pub name: String,
    pub root: PathBuf,
}

#[derive(Debug)]
pub struct Package {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: PathBuf,
    pub edition: Edition,
    pub targets: Vec<Target>,
    /// `[package.metadata.lockscan]`.
    pub metadata: Option<toml::Value>,
    /// The workspace root's `[workspace.metadata.lockscan]`, when in a workspace.
    pub workspace_metadata: Option<(PathBuf, toml::Value)>,
}

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    /// A named path that exists but cannot be reached (a symlink loop, a directory above it
    /// that cannot be searched), and why.
    Unreachable(PathBuf, String),
    BadExclude(String, String),
    /// A named path under which there is no `.rs` file to check (a mistyped path must not
    /// pass).
    NoRustFiles(PathBuf),
}

impl std::error::Error for DiscoverError {}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(p) => write!(f, "no such file or directory: `{}`", p.display()),
            DiscoverError::Unreachable(p, why) => write!(f, "cannot read `{}`: {why}", p.display()),
            DiscoverError::BadExclude(pat, why) => {
                write!(f, "invalid exclude pattern `{pat}`: {why}")
            }
            DiscoverError::NoRustFiles(p) => write!(
                f,
                "no Rust files to check in `{}` (`.rs` files that `.gitignore`, hidden directories, `target/` or `exclude` leave out are not read)",
                p.display()
            ),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct DiscoverOptions {
    /// Patterns (gitignore syntax) of paths to leave out, each with the directory it is
    /// relative to. They apply to named paths too: an excluded file is not read, even as
    /// context.
    pub exclude: Vec<(PathBuf, String)>,
    /// Read every `.rs` file, ignoring `.gitignore` and friends.
    pub no_ignore: bool,
}

/// A parsed `Cargo.toml`.
#[derive(Debug, Default)]
struct Manifest {
    package: Option<toml::Table>,
    workspace: Option<toml::Table>,
    raw: toml::Table,
}

fn read_manifest(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    let raw: toml::Table = text.parse().unwrap_or_default();
    Some(Manifest {
        package: raw.get("package").and_then(|v| v.as_table()).cloned(),
        workspace: raw.get("workspace").and_then(|v| v.as_table()).cloned(),
        raw,
    })
}

/// The current directory, made absolute.
fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// Lexically normalizes `.` and `..` (no symlink resolution, so it works on any path).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        normalize(p)
    } else {
        normalize(&cwd().join(p))
    }
}

/// How the user would type `abs`: relative to the working directory when under it.
pub fn display_path(abs: &Path) -> String {
    let here = absolute(&cwd());
    let shown = match abs.strip_prefix(&here) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => abs.to_path_buf(),
    };
    shown.to_string_lossy().replace('\\', "/")
}

struct Discoverer {
    manifests: FxHashMap<PathBuf, Option<Manifest>>,
    /// Directory → the package that owns it (nearest `Cargo.toml` with `[package]`).
    owner_cache: FxHashMap<PathBuf, Option<PathBuf>>,
    packages: Vec<Package>,
    package_by_dir: FxHashMap<PathBuf, u32>,
}

impl Discoverer {
    fn manifest(&mut self, dir: &Path) -> Option<&Manifest> {
        if !self.manifests.contains_key(dir) {
            let path = dir.join("Cargo.toml");
            let m = if path.is_file() {
                read_manifest(&path)
            } else {
                None
            };
            self.manifests.insert(dir.to_path_buf(), m);
        }
        self.manifests.get(dir).and_then(|m| m.as_ref())
    }

    /// The directory of the package owning `dir`, if any.
    fn package_dir(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(hit) = self.owner_cache.get(dir) {
            return hit.clone();
        }
        let found = if self.manifest(dir).is_some_and(|m| m.package.is_some()) {
            Some(dir.to_path_buf())
        } else {
            dir.parent().and_then(|p| self.package_dir(p))
        };
        self.owner_cache.insert(dir.to_path_buf(), found.clone());
        found
    }

    /// The workspace root whose members include the package at `pkg_dir`.
    fn workspace_of(&mut self, pkg_dir: &Path) -> Option<PathBuf> {
        // `package.workspace = "../.."` names it outright.
        let explicit = self
            .manifest(pkg_dir)
            .and_then(|m| m.package.as_ref())
            .and_then(|p| p.get("workspace"))
            .and_then(|w| w.as_str())
            .map(|w| normalize(&pkg_dir.join(w)));
        if let Some(root) = explicit {
            return self
                .manifest(&root)
                .and_then(|m| m.workspace.as_ref())
                .map(|_| root);
        }
        let mut dir = Some(pkg_dir);
        while let Some(d) = dir {
            if let Some(ws) = self.manifest(d).and_then(|m| m.workspace.clone()) {
                let rel = pkg_dir.strip_prefix(d).unwrap_or(Path::new(""));
                if rel.as_os_str().is_empty() || is_member(&ws, rel) {
                    return Some(d.to_path_buf());
                }
                return None;
            }
            dir = d.parent();
        }
        None
    }

    fn package(&mut self, dir: &Path) -> u32 {
        if let Some(&i) = self.package_by_dir.get(dir) {
            return i;
        }
        let ws_root = self.workspace_of(dir);
        let ws = ws_root
            .as_ref()
            .and_then(|r| self.manifest(r))
            .and_then(|m| m.workspace.clone());
        let m = self.manifest(dir);
        let pkg = m.and_then(|m| m.package.clone()).unwrap_or_default();
        let raw = m.map(|m| m.raw.clone()).unwrap_or_default();
        let name = pkg
            .get("name")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "crate".into());
        let edition = match pkg.get("edition") {
            Some(toml::Value::String(s)) => Edition::parse(s),
            Some(toml::Value::Table(t))
                if t.get("workspace").and_then(|v| v.as_bool()) == Some(true) =>
            {
                ws.as_ref()
                    .and_then(|w| w.get("package"))
                    .and_then(|p| p.get("edition"))
                    .and_then(|e| e.as_str())
                    .and_then(Edition::parse)
            }
            _ => None,
        }
        .unwrap_or_default();
        let metadata = pkg.get("metadata").and_then(|m| m.get("lockscan")).cloned();
        let workspace_metadata = ws_root.as_ref().and_then(|root| {
            ws.as_ref()
                .and_then(|w| w.get("metadata"))
                .and_then(|m| m.get("lockscan"))
                .cloned()
                .map(|v| (root.join("Cargo.toml"), v))
        });
        let targets = targets(dir, &name, &pkg, &raw);
        let idx = self.packages.len() as u32;
        self.packages.push(Package {
            name,
            manifest: dir.join("Cargo.toml"),
            dir: dir.to_path_buf(),
            edition,
            targets,
            metadata,
            workspace_metadata,
        });
        self.package_by_dir.insert(dir.to_path_buf(), idx);
        idx
    }
}

/// Is `rel` (a package dir relative to the workspace root) matched by `members` and not by
/// `exclude`?
fn is_member(ws: &toml::Table, rel: &Path) -> bool {
    let list = |key: &str| -> Vec<String> {
        ws.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    let matches = |pat: &String| glob_match(pat.trim_end_matches('/'), &rel);
    list("members").iter().any(matches) && !list("exclude").iter().any(matches)
}

/// Matches `path` against a Cargo member glob (`crates/*`, `tools/**`), component by component.
fn glob_match(pat: &str, path: &str) -> bool {
    fn comp(p: &str, s: &str) -> bool {
        match p.split_once('*') {
            None => p == s,
            Some((pre, post)) => {
                s.len() >= pre.len() + post.len() && s.starts_with(pre) && {
                    let rest = &s[pre.len()..];
                    (0..=rest.len()).any(|i| rest.is_char_boundary(i) && comp(post, &rest[i..]))
                }
            }
        }
    }
    fn go(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(pp), Some(ss)) => comp(pp, ss) && go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pat
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let s: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    go(&p, &s)
}

fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

/// A package's crate roots: from `[lib]`, `[[bin]]` etc., and Cargo's conventional layout.
fn targets(dir: &Path, name: &str, pkg: &toml::Table, raw: &toml::Table) -> Vec<Target> {
    let mut out: Vec<Target> = vec![];
    let mut push = |kind, name: String, root: PathBuf| {
        if root.is_file() && !out.iter().any(|t| t.root == root) {
            out.push(Target { kind, name, root });
        }
    };
    let lib = raw.get("lib").and_then(|v| v.as_table());
    let lib_name = lib
        .and_then(|l| l.get("name"))
        .and_then(|v| v.as_str())
        .map(crate_name)
        .unwrap_or_else(|| crate_name(name));
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(|v| v.as_str())
        .map(|p| dir.join(p))
        .unwrap_or_else(|| dir.join("src/lib.rs"));
    push(TargetKind::Lib, lib_name, lib_path);
    let explicit = |key: &str| -> Vec<(String, PathBuf)> {
        raw.get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|t| {
                        let n = t.get("name").and_then(|v| v.as_str())?;
                        let p = t
                            .get("path")
                            .and_then(|v| v.as_str())
                            .map(|p| dir.join(p))?;
                        Some((crate_name(n), p))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (n, p) in explicit("bin") {
        push(TargetKind::Bin, n, p);
    }
    push(TargetKind::Bin, crate_name(name), dir.join("src/main.rs"));
    for (kind, key, sub) in [
        (TargetKind::Bin, "bin", "src/bin"),
        (TargetKind::Test, "test", "tests"),
        (TargetKind::Example, "example", "examples"),
        (TargetKind::Bench, "bench", "benches"),
    ] {
        if kind != TargetKind::Bin {
            for (n, p) in explicit(key) {
                push(kind, n, p);
            }
        }
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.extension().is_some_and(|e| e == "rs") {
                let n = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                push(kind, crate_name(&n), p);
            } else if p.join("main.rs").is_file() {
                let n = p
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                push(kind, crate_name(&n), p.join("main.rs"));
            }
        }
    }
    let build = match pkg.get("build") {
        Some(toml::Value::String(s)) => Some(dir.join(s)),
        Some(toml::Value::Boolean(false)) => None,
        _ => Some(dir.join("build.rs")),
    };
    if let Some(b) = build {
        push(TargetKind::Build, "build_script_build".into(), b);
    }
    out
}

/// Finds the files under `paths` and the units they belong to.
pub fn discover(paths: &[PathBuf], opts: &DiscoverOptions) -> Result<Project, DiscoverError> {
    let mut d = Discoverer {
        manifests: FxHashMap::default(),
        owner_cache: FxHashMap::default(),
        packages: vec![],
        package_by_dir: FxHashMap::default(),
    };
    let requested: Vec<PathBuf> = paths.iter().map(|p| absolute(p)).collect();
    let excluded = Excluded::new(opts)?;
    for (p, abs) in paths.iter().zip(&requested) {
        match std::fs::metadata(abs) {
            // A FIFO or a device: reading it may never end, and it holds no crate.
            Ok(m) if !m.is_file() && !m.is_dir() => {
                return Err(DiscoverError::Unreachable(
                    p.clone(),
                    "it is neither a file nor a directory".into(),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DiscoverError::NotFound(p.clone()));
            }
            Err(e) => {
                return Err(DiscoverError::Unreachable(
                    p.clone(),
                    crate::parse::io_reason(&e),
                ));
            }
        }
    }
    // What to walk: each requested path, and the root of the unit it lies in (for context) —
    // unless it lies in a build directory, which is no part of the package around it.
    let mut roots: Vec<PathBuf> = vec![];
    for abs in &requested {
        roots.push(abs.clone());
        let dir = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        if let Some(pkg) = d.package_dir(&dir) {
            let root = d.workspace_of(&pkg).unwrap_or(pkg);
            let in_build_dir = abs
                .strip_prefix(&root)
                .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == "target"));
            if !in_build_dir {
                roots.push(root);
            }
        }
    }
    roots.sort();
    roots.dedup();

    let mut found: Vec<(PathBuf, Option<String>)> = vec![];
    for root in &roots {
        if root.is_file() {
            if !excluded.file(root) {
                found.push((root.clone(), None));
            }
            continue;
        }
        found.extend(walk(root, opts, &requested, &excluded));
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);

    // Group into units.
    let mut files: Vec<SourceFile> = vec![];
    let mut units: Vec<Unit> = vec![];
    let mut unit_by_root: FxHashMap<PathBuf, u32> = FxHashMap::default();
    for (path, unreadable) in found {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let (unit_root, package) = match d.package_dir(&dir) {
            Some(pkg_dir) => {
                let root = d.workspace_of(&pkg_dir).unwrap_or_else(|| pkg_dir.clone());
                (root, Some(d.package(&pkg_dir)))
            }
            // Loose files: one unit per requested path that holds them.
            None => (
                requested
                    .iter()
                    .filter(|r| path.starts_with(r))
                    .max_by_key(|r| r.components().count())
                    .cloned()
                    .unwrap_or_else(|| dir.clone()),
                None,
            ),
        };
        let next = units.len() as u32;
        let unit = *unit_by_root.entry(unit_root.clone()).or_insert_with(|| {
            units.push(Unit {
                root: unit_root,
                files: vec![],
                packages: vec![],
            });
            next
        });
        let id = FileId(files.len() as u32);
        let u = &mut units[unit as usize];
        u.files.push(id);
        if let Some(p) = package
            && !u.packages.contains(&p)
        {
            u.packages.push(p);
        }
        files.push(SourceFile {
            requested: requested.iter().any(|r| path.starts_with(r)),
            display: display_path(&path),
            path,
            unit,
            package,
            unreadable,
        });
    }
    // A named file the configuration excludes is left out on purpose (a pre-commit hook
    // passes every staged file), not a mistake.
    for (p, abs) in paths.iter().zip(&requested) {
        let excluded_file = abs.is_file() && excluded.file(abs);
        if !excluded_file && !files.iter().any(|f| f.path.starts_with(abs)) {
            return Err(DiscoverError::NoRustFiles(p.clone()));
        }
    }
    Ok(Project {
        files,
        units,
        packages: d.packages,
    })
}

/// The `exclude` patterns, one matcher per directory they are relative to.
#[derive(Clone, Default)]
struct Excluded(std::sync::Arc<Vec<ignore::gitignore::Gitignore>>);

impl Excluded {
    fn new(opts: &DiscoverOptions) -> Result<Excluded, DiscoverError> {
        let mut by_base: Vec<(PathBuf, Vec<&str>)> = vec![];
        for (base, pat) in &opts.exclude {
            let base = absolute(base);
            match by_base.iter_mut().find(|(b, _)| *b == base) {
                Some((_, pats)) => pats.push(pat),
                None => by_base.push((base, vec![pat])),
            }
        }
        let mut out = vec![];
        for (base, pats) in by_base {
            let mut b = ignore::gitignore::GitignoreBuilder::new(&base);
            for pat in &pats {
                b.add_line(None, pat)
                    .map_err(|e| DiscoverError::BadExclude(pat.to_string(), glob_reason(&e)))?;
            }
            let gi = b
                .build()
                .map_err(|e| DiscoverError::BadExclude(pats.join(", "), glob_reason(&e)))?;
            out.push(gi);
        }
        Ok(Excluded(std::sync::Arc::new(out)))
    }

    /// Is `abs` (an absolute path) excluded, itself or through a parent?
    fn matches(&self, abs: &Path, is_dir: bool) -> bool {
        // Each matcher only answers for paths under its directory.
        self.0.iter().any(|gi| {
            abs.starts_with(gi.path()) && gi.matched_path_or_any_parents(abs, is_dir).is_ignore()
        })
    }

    fn file(&self, abs: &Path) -> bool {
        self.matches(abs, false)
    }
}

fn glob_reason(e: &ignore::Error) -> String {
    let s = e.to_string();
    // "error parsing glob '[': unclosed character class; missing ']'" → the reason.
    match s.split_once("': ") {
        Some((_, why)) => why.to_string(),
        None => s,
    }
}

/// Cargo's build directory: a `target/` beside a `Cargo.toml`, or one cargo has marked. A
/// source module named `target` (`src/target/`) is not one.
fn is_build_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "target")
        && (dir.parent().is_some_and(|p| p.join("Cargo.toml").is_file())
            || dir.join("CACHEDIR.TAG").is_file()
            || dir.join(".rustc_info.json").is_file())
}

/// The `.rs` files under `root`, honouring ignore files and skipping build directories, and
/// the directories that could not be read, with the reason.
fn walk(
    root: &Path,
    opts: &DiscoverOptions,
    requested: &[PathBuf],
    excluded: &Excluded,
) -> Vec<(PathBuf, Option<String>)> {
    // A symlink the user named is followed (a trailing separator makes the walk enter it);
    // symlinks found inside the tree are not, which also keeps symlink loops out.
    let start = if root.is_symlink() {
        root.join("")
    } else {
        root.to_path_buf()
    };
    let mut builder = ignore::WalkBuilder::new(start);
    // Ignore files inside the walked tree apply; those above it do not, so that a directory the
    // user names is scanned even when an outer `.gitignore` lists it.
    builder
        .standard_filters(!opts.no_ignore)
        .parents(false)
        .hidden(!opts.no_ignore)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    let requested_dirs: Vec<PathBuf> = requested.iter().filter(|r| r.is_dir()).cloned().collect();
    let excluded = excluded.clone();
    builder.filter_entry(move |e| {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        // A build's output is never source; a directory the user named is read regardless.
        let build_output = is_dir
            && is_build_dir(e.path())
            && !requested_dirs.iter().any(|r| r.as_path() == e.path());
        !build_output && !excluded.matches(e.path(), is_dir)
    });
    let mut out = vec![];
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                if let Some((path, why)) = unreadable_dir(&e) {
                    out.push((absolute(&path), Some(why)));
                }
                continue;
            }
        };
        if entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink())
            && entry.path().extension().is_some_and(|e| e == "rs")
            && entry.path().is_file()
        {
            out.push((absolute(entry.path()), None));
        }
    }
    out
}

/// A directory the walk could not list, and why. Other errors (an ignore file that cannot be
/// read or parsed) only mean that fewer files are left out.
fn unreadable_dir(e: &ignore::Error) -> Option<(PathBuf, String)> {
    fn io(e: &ignore::Error) -> Option<&std::io::Error> {
        match e {
            ignore::Error::Io(io) => Some(io),
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => io(err),
            _ => None,
        }
    }
    fn path(e: &ignore::Error) -> Option<&Path> {
        match e {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path(err)
            }
            _ => None,
        }
    }
    let (path, io) = (path(e)?, io(e)?);
    path.is_dir()
        .then(|| (path.to_path_buf(), crate::parse::io_reason(io)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_globs() {
        assert!(glob_match("crates/*", "crates/core"));
        assert!(!glob_match("crates/*", "crates/core/sub"));
        assert!(glob_match("tools/**", "tools/a/b"));
        assert!(glob_match("./app", "app"));
        assert!(glob_match("lock*", "lockscan"));
        assert!(!glob_match("lock*", "other"));
    }

    #[test]
    fn normalizes_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
