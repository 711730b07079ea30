//! Configuration: `lockscan.toml`, or `[workspace.metadata.lockscan]` /
//! `[package.metadata.lockscan]` in a `Cargo.toml`.
//!
//! lockscan reads the configuration of the code it is pointed at: from the first path given
//! (its directory, for a file; the working directory when none is given) upwards, the first
//! directory with a `lockscan.toml`, or with a `Cargo.toml` that has
//! lockscan metadata, wins (`lockscan.toml` first when a directory has both). The search stops
//! at the repository root (a directory with `.git`). `--config FILE` names the file instead;
//! `--no-config` reads none. Settings are not merged across files.
//!
//! ```toml
//! fail-on = "warning"                        # note | warning | error | never
//! exclude = ["benches/**", "src/generated/"] # gitignore syntax, relative to this file
//! lock-methods = ["acquire"]                 # methods that take a lock
//! blocking-functions = ["my_rpc::call_sync", "wait_ready"]  # paths, or method names
//! sleep-functions = ["backoff::pause"]
//!
//! [rules]
//! static_mut = "allow"                       # allow | warn | deny (or note, warning, error)
//! ```
//!
//! Every key is checked: an unknown key, an unknown rule or a value of the wrong kind is an
//! error that names the key and the file.

use crate::diag::Severity;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The settings one configuration file makes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// `exclude` patterns are relative to this directory (the file's).
    pub dir: PathBuf,
    /// `Some(None)`: never fail.
    pub fail_on: Option<Option<Severity>>,
    pub exclude: Vec<String>,
    pub lock_methods: Vec<String>,
    pub blocking_functions: Vec<String>,
    pub sleep_functions: Vec<String>,
    /// Rule → level (`None`: the rule is off).
    pub rules: BTreeMap<String, Option<Severity>>,
}

/// Where a key is written: 1-based line and column (in characters).
pub type KeyPos = Option<(u32, u32)>;

#[derive(Debug)]
pub enum ConfigError {
    Read(PathBuf, std::io::Error),
    Parse(PathBuf, String),
    /// A key lockscan does not know; the key as written from the top of the file.
    UnknownKey(PathBuf, String, KeyPos),
    UnknownRule(PathBuf, String, String, KeyPos),
    Value(PathBuf, String, String, KeyPos),
    Both(PathBuf),
}

/// A path as the user would type it.
fn shown_path(p: &Path) -> String {
    if p.is_absolute() {
        crate::project::display_path(p)
    } else {
        p.display().to_string()
    }
}

/// `path:line:col` (as compilers print a place, so that terminals and editors can open it), or
/// the path when the key's place is not known.
fn place(p: &Path, at: KeyPos) -> String {
    match at {
        Some((line, col)) => format!("{}:{line}:{col}", shown_path(p)),
        None => shown_path(p),
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Read(p, e) => write!(
                f,
                "cannot read configuration `{}`: {}",
                shown_path(p),
                crate::baseline::io_reason(e)
            ),
            ConfigError::Parse(p, e) => write!(f, "cannot parse `{}`: {e}", shown_path(p)),
            ConfigError::UnknownKey(p, key, at) => {
                write!(f, "unknown key `{key}` in `{}`", place(p, *at))?;
                if let Some(near) = closest_key(key) {
                    write!(f, " (did you mean `{near}`?)")?;
                }
                Ok(())
            }
            ConfigError::UnknownRule(p, key, rule, at) => {
                write!(
                    f,
                    "unknown rule `{rule}` in `{}` (key `{key}`)",
                    place(p, *at)
                )?;
                match crate::rules::closest(rule) {
                    Some(near) => write!(f, "; did you mean `{near}`?"),
                    None => write!(f, "; `lockscan --list-rules` lists the rules"),
                }
            }
            ConfigError::Value(p, key, why, at) => {
                write!(f, "invalid value for `{key}` in `{}`: {why}", place(p, *at))
            }
            ConfigError::Both(p) => write!(
                f,
                "`{}` has both `[package.metadata.lockscan]` and `[workspace.metadata.lockscan]`; keep one",
                shown_path(p)
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

const KEYS: &[&str] = &[
    "fail-on",
    "exclude",
    "lock-methods",
    "blocking-functions",
    "sleep-functions",
    "rules",
];

/// The key closest to the last segment of `key` (`fail_on` → `fail-on`, `exlude` →
/// `exclude`).
fn closest_key(key: &str) -> Option<&'static str> {
    let last = key.rsplit('.').next().unwrap_or(key);
    let norm = last.replace('_', "-");
    crate::rules::closest_of(&norm, KEYS.iter().copied())
}

/// Where the key at `path` (table names from the top, then the key) is written in `text`.
fn key_pos(text: &str, path: &[&str]) -> KeyPos {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut span = None;
    for (i, seg) in path.iter().enumerate() {
        let (k, v) = table.iter().find(|(k, _)| k.get_ref() == seg)?;
        span = Some(k.span());
        if i + 1 < path.len() {
            match v.get_ref() {
                toml::de::DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
    }
    let start = span?.start;
    let before = text.get(..start)?;
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    Some((line, col))
}

/// Finds the configuration that applies in `dir` (see the module docs).
pub fn discover(dir: &Path) -> Result<Option<Config>, ConfigError> {
    for d in dir.ancestors() {
        let file = d.join("lockscan.toml");
        if file.is_file() {
            return load(&file).map(Some);
        }
        let manifest = d.join("Cargo.toml");
        if manifest.is_file()
            && let Some(c) = from_manifest(&manifest)?
        {
            return Ok(Some(c));
        }
        if d.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// Reads the file `--config` names: a `lockscan.toml`, or a `Cargo.toml` with metadata.
pub fn load(file: &Path) -> Result<Config, ConfigError> {
    if file.file_name().is_some_and(|n| n == "Cargo.toml") {
        return match from_manifest(file)? {
            Some(c) => Ok(c),
            None => Err(ConfigError::Value(
                file.to_path_buf(),
                "package.metadata.lockscan".into(),
                "this `Cargo.toml` has no lockscan metadata".into(),
                None,
            )),
        };
    }
    let text =
        std::fs::read_to_string(file).map_err(|e| ConfigError::Read(file.to_path_buf(), e))?;
    let table = text.parse::<toml::Table>().map_err(|e| {
        ConfigError::Parse(file.to_path_buf(), e.to_string().trim_end().to_string())
    })?;
    from_table(&table, "", file, &text)
}

/// The lockscan metadata of a `Cargo.toml`, if it has any. A manifest that does not parse is
/// left to cargo to complain about.
fn from_manifest(file: &Path) -> Result<Option<Config>, ConfigError> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(None);
    };
    if !text.contains("lockscan") {
        return Ok(None);
    }
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(None);
    };
    let meta = |section: &str| {
        table
            .get(section)
            .and_then(|s| s.get("metadata"))
            .and_then(|m| m.get("lockscan"))
    };
    match (meta("package"), meta("workspace")) {
        (Some(_), Some(_)) => Err(ConfigError::Both(file.to_path_buf())),
        (Some(v), None) => section(v, "package.metadata.lockscan", file, &text).map(Some),
        (None, Some(v)) => section(v, "workspace.metadata.lockscan", file, &text).map(Some),
        (None, None) => Ok(None),
    }
}

fn section(v: &toml::Value, prefix: &str, file: &Path, text: &str) -> Result<Config, ConfigError> {
    match v.as_table() {
        Some(t) => from_table(t, prefix, file, text),
        None => Err(ConfigError::Value(
            file.to_path_buf(),
            prefix.into(),
            "expected a table".into(),
            key_pos(text, &prefix.split('.').collect::<Vec<_>>()),
        )),
    }
}

/// Reads the settings of table `t`, found at `prefix` (dotted table names from the top of the
/// file, empty for a `lockscan.toml`) in the file whose text is `text`.
fn from_table(
    t: &toml::Table,
    prefix: &str,
    file: &Path,
    text: &str,
) -> Result<Config, ConfigError> {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    // Where a key (its segments below `prefix`) is written.
    let pos = |segs: &[&str]| {
        let mut path: Vec<&str> = prefix.split('.').filter(|s| !s.is_empty()).collect();
        path.extend_from_slice(segs);
        key_pos(text, &path)
    };
    let bad = |k: &str, why: String| ConfigError::Value(file.to_path_buf(), key(k), why, pos(&[k]));
    let mut c = Config {
        file: file.to_path_buf(),
        dir: file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        ..Default::default()
    };
    for (k, v) in t {
        match k.as_str() {
            "fail-on" => {
                let s = v
                    .as_str()
                    .ok_or_else(|| bad(k, format!("expected a string, found {}", kind(v))))?;
                c.fail_on = Some(match s {
                    "never" => None,
                    "note" | "warning" | "error" => Severity::parse(s),
                    _ => {
                        return Err(bad(
                            k,
                            format!("expected `note`, `warning`, `error` or `never`, found `{s}`"),
                        ));
                    }
                });
            }
            "exclude" => c.exclude = strings(v).map_err(|why| bad(k, why))?,
            "lock-methods" => {
                c.lock_methods = strings(v).map_err(|why| bad(k, why))?;
                for m in &c.lock_methods {
                    if !is_ident(m) {
                        return Err(bad(k, format!("`{m}` is not a method name")));
                    }
                }
            }
            "blocking-functions" | "sleep-functions" => {
                let list = strings(v).map_err(|why| bad(k, why))?;
                for f in &list {
                    if split_path(f).is_none() {
                        return Err(bad(
                            k,
                            format!(
                                "`{f}` is neither a path (`my_crate::io::read_all`) nor a method name"
                            ),
                        ));
                    }
                }
                if k == "sleep-functions" {
                    c.sleep_functions = list;
                } else {
                    c.blocking_functions = list;
                }
            }
            "rules" => {
                let Some(rules) = v.as_table() else {
                    return Err(bad(k, format!("expected a table, found {}", kind(v))));
                };
                for (rule, level) in rules {
                    let rk = format!("rules.{rule}");
                    // Kebab case (`double-lock`) is the same rule.
                    let Some(r) = crate::rules::rule(rule) else {
                        return Err(ConfigError::UnknownRule(
                            file.to_path_buf(),
                            key(&rk),
                            rule.clone(),
                            pos(&["rules", rule]),
                        ));
                    };
                    let level = level.as_str().and_then(parse_level).ok_or_else(|| {
                        ConfigError::Value(
                            file.to_path_buf(),
                            key(&rk),
                            format!("expected `allow`, `warn` or `deny`, found {}", shown(level)),
                            pos(&["rules", rule]),
                        )
                    })?;
                    c.rules.insert(r.name.to_string(), level);
                }
            }
            _ => {
                return Err(ConfigError::UnknownKey(
                    file.to_path_buf(),
                    key(k),
                    pos(&[k]),
                ));
            }
        }
    }
    Ok(c)
}

impl Config {
    /// The API tables with what this configuration adds: its lock methods, and its sleeping
    /// and blocking functions (a path names a function, a single name a method).
    pub fn api(&self) -> crate::known::Api {
        let split = |list: &[String]| -> Vec<Vec<String>> {
            list.iter()
                .map(|entry| {
                    split_path(entry)
                        .unwrap_or_default()
                        .into_iter()
                        .map(String::from)
                        .collect()
                })
                .collect()
        };
        crate::known::Api::default().configure(
            &self.lock_methods,
            &split(&self.sleep_functions),
            &split(&self.blocking_functions),
        )
    }
}

/// `allow` → off; `warn`/`warning`, `deny`/`error`, `note` → that level.
pub fn parse_level(s: &str) -> Option<Option<Severity>> {
    match s {
        "allow" => Some(None),
        _ => Severity::parse(s).map(Some),
    }
}

fn kind(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

fn shown(v: &toml::Value) -> String {
    match v.as_str() {
        Some(s) => format!("`{s}`"),
        None => kind(v).to_string(),
    }
}

fn strings(v: &toml::Value) -> Result<Vec<String>, String> {
    let Some(a) = v.as_array() else {
        return Err(format!("expected an array of strings, found {}", kind(v)));
    };
    a.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("expected an array of strings, found {} in it", kind(x)))
        })
        .collect()
}

fn is_ident(s: &str) -> bool {
    let s = s.strip_prefix("r#").unwrap_or(s);
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && s != "_"
}

/// `a::b::c` (a leading `::` is allowed) into its segments; `None` unless each is an
/// identifier.
pub fn split_path(s: &str) -> Option<Vec<&str>> {
    let s = s.trim();
    let s = s.strip_prefix("::").unwrap_or(s);
    let segs: Vec<&str> = s.split("::").collect();
    segs.iter().all(|seg| is_ident(seg)).then_some(segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        let t: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        from_table(&t, "", Path::new("lockscan.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_every_key() {
        let c = parse(
            r#"
fail-on = "error"
exclude = ["gen/**"]
lock-methods = ["acquire"]
blocking-functions = ["rpc::call_sync", "wait_ready"]
sleep-functions = ["::backoff::pause"]
[rules]
static_mut = "allow"
guard_across_sleep = "deny"
double_lock = "warn"
"#,
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(Some(Severity::Error)));
        assert_eq!(c.exclude, ["gen/**"]);
        assert_eq!(c.lock_methods, ["acquire"]);
        assert_eq!(c.blocking_functions, ["rpc::call_sync", "wait_ready"]);
        assert_eq!(c.sleep_functions, ["::backoff::pause"]);
        assert_eq!(c.rules["static_mut"], None);
        assert_eq!(c.rules["guard_across_sleep"], Some(Severity::Error));
        assert_eq!(c.rules["double_lock"], Some(Severity::Warning));
    }

    /// A temporary directory holding a `Cargo.toml` with `text`.
    fn with_manifest(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), text).unwrap();
        dir
    }

    /// Each input with the error it must give, word for word.
    fn assert_errors(cases: &[(&str, &str)]) {
        for (input, error) in cases {
            assert_eq!(parse(input).unwrap_err(), *error, "for {input:?}");
        }
    }

    #[test]
    fn errors_name_the_key_and_the_file() {
        assert_errors(&[
            (
                "fail_on = \"error\"",
                "unknown key `fail_on` in `lockscan.toml:1:1` (did you mean `fail-on`?)",
            ),
            (
                "colour = true",
                "unknown key `colour` in `lockscan.toml:1:1`",
            ),
            (
                "[rules]\ndouble_locks = \"allow\"",
                "unknown rule `double_locks` in `lockscan.toml:2:1` (key `rules.double_locks`); did you mean `double_lock`?",
            ),
            (
                "[rules]\ndouble_lock = \"maybe\"",
                "invalid value for `rules.double_lock` in `lockscan.toml:2:1`: expected `allow`, `warn` or `deny`, found `maybe`",
            ),
            (
                "[rules]\ndouble_lock = 3",
                "invalid value for `rules.double_lock` in `lockscan.toml:2:1`: expected `allow`, `warn` or `deny`, found an integer",
            ),
            (
                "fail-on = \"sometimes\"",
                "invalid value for `fail-on` in `lockscan.toml:1:1`: expected `note`, `warning`, `error` or `never`, found `sometimes`",
            ),
            (
                "exclude = \"gen\"",
                "invalid value for `exclude` in `lockscan.toml:1:1`: expected an array of strings, found a string",
            ),
            (
                "lock-methods = [\"a.b\"]",
                "invalid value for `lock-methods` in `lockscan.toml:1:1`: `a.b` is not a method name",
            ),
            (
                "sleep-functions = [\"a::\"]",
                "invalid value for `sleep-functions` in `lockscan.toml:1:1`: `a::` is neither a path (`my_crate::io::read_all`) nor a method name",
            ),
            (
                "rules = []",
                "invalid value for `rules` in `lockscan.toml:1:1`: expected a table, found an array",
            ),
        ]);
    }

    #[test]
    fn errors_give_the_line_and_column_of_the_key() {
        assert_eq!(
            parse("fail-on = \"error\"\nexclude = []\n\n[rules]\nstatic_mut = \"allow\"\n  dubble_lock = \"deny\"\n")
                .unwrap_err(),
            "unknown rule `dubble_lock` in `lockscan.toml:6:3` (key `rules.dubble_lock`); did you mean `double_lock`?"
        );
        assert_eq!(
            parse("# settings\nexlude = []\n").unwrap_err(),
            "unknown key `exlude` in `lockscan.toml:2:1` (did you mean `exclude`?)"
        );
        assert_eq!(
            parse("rules = { static_mut = \"sometimes\" }").unwrap_err(),
            "invalid value for `rules.static_mut` in `lockscan.toml:1:11`: expected `allow`, `warn` or `deny`, found `sometimes`"
        );
        assert_eq!(key_pos("a = 1\n[b]\nc = 2\n", &["b", "c"]), Some((3, 1)));
        assert_eq!(key_pos("a = 1\n", &["b"]), None);
    }

    #[test]
    fn rules_may_be_written_in_kebab_case() {
        let c = parse("[rules]\ndouble-lock = \"allow\"\nguard-across-sleep = \"deny\"\n").unwrap();
        assert_eq!(c.rules["double_lock"], None);
        assert_eq!(c.rules["guard_across_sleep"], Some(Severity::Error));
    }

    #[test]
    fn metadata_keys_are_named_from_the_top_of_the_manifest() {
        let dir = with_manifest(
            "[package]\nname = \"x\"\n[package.metadata.lockscan]\nfail-onn = \"never\"\n",
        );
        let m = dir.path().join("Cargo.toml");
        let e = discover(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "unknown key `package.metadata.lockscan.fail-onn` in `{}:4:1` (did you mean `fail-on`?)",
                m.display()
            )
        );
    }

    #[test]
    fn lockscan_toml_wins_over_metadata_in_the_same_directory() {
        let dir = with_manifest("[workspace.metadata.lockscan]\nfail-on = \"never\"\n");
        std::fs::write(dir.path().join("lockscan.toml"), "fail-on = \"note\"\n").unwrap();
        let c = discover(dir.path()).unwrap().unwrap();
        assert_eq!(c.fail_on, Some(Some(Severity::Note)));
        std::fs::remove_file(dir.path().join("lockscan.toml")).unwrap();
        let c = discover(dir.path()).unwrap().unwrap();
        assert_eq!(c.fail_on, Some(None));
    }

    #[test]
    fn the_search_goes_up_and_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("repo/crates/a");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(dir.path().join("lockscan.toml"), "fail-on = \"note\"\n").unwrap();
        // Found from below...
        assert!(discover(&inner).unwrap().is_some());
        // ...but not across a repository root.
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        assert!(discover(&inner).unwrap().is_none());
    }

    #[test]
    fn both_metadata_tables_are_an_error() {
        let dir = with_manifest(
            "[package]\nname = \"x\"\n[package.metadata.lockscan]\n[workspace]\n[workspace.metadata.lockscan]\n",
        );
        assert!(discover(dir.path()).unwrap_err().to_string().contains(
            "has both `[package.metadata.lockscan]` and `[workspace.metadata.lockscan]`"
        ));
    }

    #[test]
    fn paths_and_names() {
        assert_eq!(split_path("a::b"), Some(vec!["a", "b"]));
        assert_eq!(split_path("::a"), Some(vec!["a"]));
        assert_eq!(split_path("recv"), Some(vec!["recv"]));
        assert_eq!(split_path("a::"), None);
        assert_eq!(split_path("a b"), None);
        assert_eq!(split_path(""), None);
    }
}
