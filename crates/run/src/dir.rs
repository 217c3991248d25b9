//! Writing that never leaves half a file or half a folder behind.
//!
//! - [`atomic_write`]: a file is written beside its target under a hidden name and
//!   renamed over it, so a reader sees the old file or the new one.
//! - [`Staging`]: a folder is built under a hidden sibling name (`.NAME.partial-PID`)
//!   and swapped into place by [`Staging::commit`] (old → `.NAME.old-PID`, staging →
//!   NAME, old removed). Dropped without a commit, the staging folder is removed.
//!   Checkpoints (diffusion crate) and run folders use it.
//! - [`RunDir`]: a [`Staging`] for a whole run folder, which refuses a target that holds
//!   anything but an earlier run folder.

use crate::error::RunError;
use crate::layout::SUMMARY;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a hidden temporary file in the same folder, renamed
/// into place.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let (parent, name) = split(path);
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| RunError::io(&tmp, "write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        RunError::io(path, "replace", e)
    })
}

/// The parent folder (`.` for a bare name) and the file name of `path`.
fn split(path: &Path) -> (PathBuf, String) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    (parent, name)
}

/// A folder under construction beside its target.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
}

impl Staging {
    /// Creates the hidden staging folder for `target` (and `target`'s parent folders).
    /// A stale staging folder of this process is removed first.
    pub fn new(target: &Path) -> Result<Staging, RunError> {
        let (parent, name) = split(target);
        std::fs::create_dir_all(&parent).map_err(|e| RunError::io(&parent, "create", e))?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| RunError::io(&staging, "remove", e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| RunError::io(&staging, "create", e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder it becomes.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Swaps the staging folder into place: an existing target is moved aside, the
    /// staging folder renamed onto it, and the old one removed.
    pub fn commit(self) -> Result<PathBuf, RunError> {
        let (parent, name) = split(&self.target);
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if self.target.exists() {
            std::fs::rename(&self.target, &old)
                .map_err(|e| RunError::io(&self.target, "move aside", e))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            // Put the previous folder back rather than leave nothing in place.
            if old.exists() {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(RunError::io(&self.target, "move into place", e));
        }
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| RunError::io(&old, "remove", e))?;
        }
        let target = self.target.clone();
        std::mem::forget(self);
        Ok(target)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// A run folder that appears whole or not at all.
#[derive(Debug)]
pub struct RunDir {
    staging: Staging,
}

impl RunDir {
    /// Prepares to write the run folder `target`. Fails at once if it cannot be written,
    /// or if it exists and is neither empty nor an earlier run folder (one with a
    /// `summary.json`).
    pub fn create(target: &Path) -> Result<RunDir, RunError> {
        if target.exists() {
            if !target.is_dir() {
                return Err(RunError::NotARunFolder {
                    path: target.to_path_buf(),
                    message: "exists and is not a folder".into(),
                });
            }
            let empty = std::fs::read_dir(target)
                .map_err(|e| RunError::io(target, "read", e))?
                .next()
                .is_none();
            if !empty && !target.join(SUMMARY).exists() {
                return Err(RunError::NotARunFolder {
                    path: target.to_path_buf(),
                    message: "exists and is not a run folder; choose another path".into(),
                });
            }
        }
        Ok(RunDir {
            staging: Staging::new(target)?,
        })
    }

    /// Where to write the run's files.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// The folder the run becomes.
    pub fn target(&self) -> &Path {
        self.staging.target()
    }

    /// Moves the finished folder into place (replacing an earlier run folder there).
    pub fn commit(self) -> Result<PathBuf, RunError> {
        self.staging.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_staging_leaves_nothing_and_a_commit_replaces_the_target() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("ck");
        {
            let s = Staging::new(&target).unwrap();
            std::fs::write(s.path().join("a"), "1").unwrap();
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
        let s = Staging::new(&target).unwrap();
        std::fs::write(s.path().join("a"), "1").unwrap();
        s.commit().unwrap();
        let s = Staging::new(&target).unwrap();
        std::fs::write(s.path().join("b"), "2").unwrap();
        s.commit().unwrap();
        assert!(!target.join("a").exists());
        assert_eq!(std::fs::read_to_string(target.join("b")).unwrap(), "2");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_with_other_files_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("thesis.tex"), "x").unwrap();
        let err = RunDir::create(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("not a run folder"), "{err}");
        assert!(tmp.path().join("thesis.tex").exists());
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("s.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
