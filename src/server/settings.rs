//! The configuration that applies to a file: what `lockscan FILE` would read (`lockscan.toml`
//! or Cargo metadata, from the file's directory upwards; see [`crate::config`]), turned into
//! the driver's options. Loaded once per directory and kept until [`Settings::reload`].

use crate::config::{self, Config};
use crate::driver::Options;
use crate::project::DiscoverOptions;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The options for one directory, and what was wrong with its configuration, if anything.
#[derive(Clone)]
pub struct Loaded {
    pub options: Arc<Options>,
    /// A configuration that could not be read: the defaults apply meanwhile.
    pub error: Option<String>,
}

#[derive(Default)]
pub struct Settings {
    by_dir: FxHashMap<PathBuf, Loaded>,
}

impl Settings {
    /// The options for `file`; the second value is true the first time an error is found, so
    /// that it is reported once, not on every keystroke.
    pub fn for_file(&mut self, file: &Path) -> (Loaded, bool) {
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        if let Some(hit) = self.by_dir.get(&dir) {
            return (hit.clone(), false);
        }
        let loaded = match config::discover(&dir) {
            Ok(c) => Loaded {
                options: Arc::new(options(&c.unwrap_or_default())),
                error: None,
            },
            Err(e) => Loaded {
                options: Arc::new(options(&Config::default())),
                error: Some(e.to_string()),
            },
        };
        let fresh = loaded.error.is_some();
        self.by_dir.insert(dir, loaded.clone());
        (loaded, fresh)
    }

    /// Forgets every configuration read: the next analysis reads them again.
    pub fn reload(&mut self) {
        self.by_dir.clear();
    }
}

/// The driver's options from a configuration, as the command line makes them without flags.
pub fn options(c: &Config) -> Options {
    Options {
        discover: DiscoverOptions {
            exclude: c
                .exclude
                .iter()
                .map(|p| (c.dir.clone(), p.clone()))
                .collect(),
            no_ignore: false,
        },
        api: c.api(),
        levels: c.rules.clone(),
        ..Options::default()
    }
}

/// Does a change to this file change the configuration (or the packages, which decide units
/// and editions)?
pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "lockscan.toml" || n == "Cargo.toml")
}
