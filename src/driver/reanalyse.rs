//! Units analysed again with new text in place of some of their files: how the fix engine
//! sees what its fixes would make of the findings before it writes anything
//! (`fix::plan_verified`).
//!
//! The same pipeline as a run, with the run's options (rules, levels, API tables), on the
//! run's project, every file of the unit counting as requested: a fix that adds a finding
//! anywhere in its unit is seen, whichever files the user named. Facts are kept between
//! analyses in a [`FactsCache`], so each analysis after the first parses only the files whose
//! text changed since.

use super::sources::{FactsCache, Overlays, Sources};
use super::{Options, RunError, analyse_outcomes, fingerprint_text, parse_unit, sort};
use crate::diag::Diagnostic;
use crate::known::Api;
use crate::project::Project;
use crate::span::FileId;
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct Reanalysis {
    project: Project,
    opts: Options,
    api: Arc<Api>,
    cache: FactsCache,
    pool: rayon::ThreadPool,
}

impl Reanalysis {
    /// Ready to analyse the units of `project` (a run's) with the run's options.
    pub fn new(project: &Project, opts: &Options) -> Result<Reanalysis, RunError> {
        let mut project = project.clone();
        for f in &mut project.files {
            f.requested = true;
        }
        let mut opts = opts.clone();
        // Progress counts the run's files once.
        opts.progress = None;
        let pool = super::thread_pool(&opts)?;
        let api = Arc::new(opts.api.clone());
        Ok(Reanalysis {
            project,
            opts,
            api,
            cache: FactsCache::default(),
            pool,
        })
    }

    /// Every finding of `unit` (fingerprinted, suppressions and levels applied, sorted), with
    /// `texts` read in place of those files and the others read from the disk.
    pub fn unit(&self, unit: u32, texts: &BTreeMap<FileId, String>) -> Vec<Diagnostic> {
        let overlays: Overlays = texts
            .iter()
            .map(|(f, t)| {
                (
                    self.project.files[f.0 as usize].path.clone(),
                    Arc::from(t.as_str()),
                )
            })
            .collect();
        let sources = Sources {
            overlays: Some(&overlays),
            cache: Some(&self.cache),
        };
        self.pool.install(|| {
            let outcomes = parse_unit(&self.project, unit, &self.opts, &self.api, sources, &|| {
                false
            });
            let fingerprints = texts
                .iter()
                .map(|(f, t)| (*f, fingerprint_text(t.as_bytes())))
                .collect();
            let mut diags =
                analyse_outcomes(&self.project, unit, &self.opts, outcomes, fingerprints)
                    .diagnostics;
            sort(&self.project, &mut diags);
            diags
        })
    }
}
