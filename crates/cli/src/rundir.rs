//! Run folders that appear whole or not at all.
//!
//! Work is written into a hidden sibling folder, which is renamed onto the requested
//! path only when everything has been written. A failed run leaves nothing behind.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A run folder under construction.
pub struct RunDir {
    pub target: PathBuf,
    pub staging: PathBuf,
}

/// `outputs/<UTC timestamp>` relative to the working directory.
pub fn default_out() -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    PathBuf::from("outputs").join(format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

impl RunDir {
    /// Prepares to write `target`. Fails at once if it cannot be written, or if it exists
    /// and is neither empty nor an earlier run folder (one with a `summary.json`).
    pub fn create(target: &Path) -> Result<RunDir> {
        if target.exists() {
            if !target.is_dir() {
                bail!("--out {} exists and is not a folder", target.display());
            }
            let empty = std::fs::read_dir(target)
                .with_context(|| format!("cannot read --out {}", target.display()))?
                .next()
                .is_none();
            if !empty && !target.join("summary.json").exists() {
                bail!(
                    "--out {} exists and is not a run folder; choose another path",
                    target.display()
                );
            }
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create --out {}", target.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot write --out {}", target.display()))?;
        Ok(RunDir {
            target: target.to_path_buf(),
            staging,
        })
    }

    /// Moves the finished folder into place (replacing an earlier run folder there).
    pub fn commit(self) -> Result<PathBuf> {
        if self.target.exists() {
            std::fs::remove_dir_all(&self.target)
                .with_context(|| format!("cannot replace {}", self.target.display()))?;
        }
        std::fs::rename(&self.staging, &self.target)
            .with_context(|| format!("cannot move the run into {}", self.target.display()))?;
        let target = self.target.clone();
        std::mem::forget(self);
        Ok(target)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}
