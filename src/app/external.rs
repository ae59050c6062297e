//! The local files behind `externaldata` URLs (`--external`, `--external-dir`) and Sentinel
//! watchlists (`--watchlist`): found, read and handed to the query engine.

use std::path::PathBuf;

use super::Error;
use crate::plan;

/// A `URL=PATH` / `name=PATH` pair of a repeatable flag.
pub(super) fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, PathBuf)>, Error> {
    values
        .iter()
        .map(|value| match value.rsplit_once('=') {
            Some((key, path)) if !key.is_empty() && !path.is_empty() => Ok((key.to_string(), PathBuf::from(path))),
            _ => Err(Error::Usage(format!("{flag}: `{value}` is not KEY=PATH"))),
        })
        .collect()
}

/// Finds and reads the local files behind `externaldata` URLs and watchlists.
pub(super) struct ExternalFiles {
    pub(super) urls: Vec<(String, PathBuf)>,
    pub(super) dir: Option<PathBuf>,
    pub(super) watchlists: Vec<(String, PathBuf)>,
}

impl ExternalFiles {
    pub(super) fn load(&self, external: &plan::query::External) -> Result<plan::query::Rows, plan::query::RunError> {
        use plan::query::{ExternalKind, RunError};
        let fail = |message: String| RunError { message };
        match &external.kind {
            ExternalKind::Url { urls, .. } => {
                let mut rows = Vec::new();
                for url in urls {
                    let path = self.url_path(url).ok_or_else(|| {
                        fail(format!(
                            "externaldata at {}: no local file for {url}: give one with --external '{url}=PATH' or --external-dir DIR",
                            external.span
                        ))
                    })?;
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| fail(format!("externaldata {url}: {}: {e}", path.display())))?;
                    let read = plan::query::run::read_external(&external.kind, &external.columns, &text)
                        .map_err(|e| fail(format!("externaldata {url}: {}: {e}", path.display())))?;
                    rows.extend(read);
                }
                Ok(plan::query::Rows {
                    columns: external.columns.clone(),
                    rows,
                })
            }
            ExternalKind::Watchlist { name } => {
                let path = self
                    .watchlists
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, p)| p.clone())
                    .ok_or_else(|| {
                        fail(format!(
                            "_GetWatchlist('{name}'): give its CSV file with --watchlist '{name}=PATH'"
                        ))
                    })?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| fail(format!("watchlist {name}: {}: {e}", path.display())))?;
                plan::query::run::read_watchlist(&text, &external.columns)
                    .map_err(|e| fail(format!("watchlist {name}: {}: {e}", path.display())))
            }
        }
    }

    /// The watchlists' columns, from their files' headers, for the compiler.
    pub(super) fn environment(&self) -> Result<plan::Environment, Error> {
        let mut environment = plan::Environment::default();
        for (name, path) in &self.watchlists {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Usage(format!("--watchlist {name}: {}: {e}", path.display())))?;
            environment
                .watchlists
                .push((name.clone(), plan::query::run::watchlist_header(&text)));
        }
        Ok(environment)
    }

    fn url_path(&self, url: &str) -> Option<PathBuf> {
        if let Some((_, path)) = self.urls.iter().find(|(u, _)| u == url) {
            return Some(path.clone());
        }
        let dir = self.dir.as_ref()?;
        let without_query = url.split(['?', '#']).next().unwrap_or(url);
        let name = without_query.trim_end_matches('/').rsplit('/').next()?;
        let path = dir.join(name);
        path.is_file().then_some(path)
    }
}
