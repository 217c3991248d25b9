//! Writing that never leaves half a file or half a folder behind.
//!
//! - [`atomic_write`]: a file is written beside its target under a hidden name and
//!   renamed over it, so a reader sees the old file or the new one.
//! - [`Staging`]: a folder is built under a hidden sibling name (`.NAME.partial-PID`)
//!   and swapped into place by [`Staging::commit`] (old → `.NAME.old-PID`, staging →
//!   NAME, old removed). Dropped without a commit, the staging folder is removed.
//!   Checkpoints (diffusion crate) and run folders use it.
//! - [`RunDir`]: a [`Staging`] for a whole run folder, which refuses a target that holds
//!   anything but an earlier run folder, and holds its [`RunLock`] until the commit.
//! - [`RunLock`]: `.NAME.lock` beside a run folder, created exclusively and holding the
//!   writer's process id, so a second run into a busy folder is refused instead of mixing
//!   its files with the first's; a lock whose process is gone is taken over.
//!
//! A run folder is recognised by its marker file ([`MARKER`]), which only this tool
//! writes — never by `summary.json`, which any folder may hold. [`check_out`] is the one
//! test every command applies to its `--out` before writing: `.`, `..`, `/`, the current
//! folder and its ancestors, a symbolic link, and a non-empty folder without the marker
//! are refused. Staging folders get an unpredictable name and are created exclusively,
//! so a planted folder or symbolic link of that name makes the run fail instead of
//! redirecting it.

use crate::error::RunError;
use std::path::{Component, Path, PathBuf};

/// The file that marks a folder as a run folder of this tool; it holds the tool's name
/// and version.
pub const MARKER: &str = ".crystal-diffusion-run";

/// Whether `dir` carries the run-folder marker (a regular file, not a link).
pub fn is_run_folder(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// Writes the marker into `dir`.
pub fn mark(dir: &Path) -> Result<(), RunError> {
    let text = format!("crystal-diffusion {}\n", env!("CARGO_PKG_VERSION"));
    atomic_write(&dir.join(MARKER), text.as_bytes())
}

/// Checks that `out` may be written as a run folder: it must not be `.`, `..`, `/`, the
/// current folder or one of its ancestors, nor a symbolic link; if it exists it must be a
/// folder that is empty or carries the run-folder marker.
pub fn check_out(out: &Path) -> Result<(), RunError> {
    let refuse = |message: &str| {
        Err(RunError::NotARunFolder {
            path: out.to_path_buf(),
            message: message.into(),
        })
    };
    if matches!(
        out.components().next_back(),
        None | Some(Component::CurDir | Component::ParentDir | Component::RootDir)
    ) {
        return refuse("is not a new folder's name (`.`, `..` and `/` are refused)");
    }
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(()); // does not exist yet
    };
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link; name a real folder");
    }
    if !meta.is_dir() {
        return refuse("exists and is not a folder");
    }
    if let (Ok(target), Ok(cwd)) = (out.canonicalize(), std::env::current_dir()) {
        if cwd.starts_with(&target) {
            return refuse("is the current folder or contains it");
        }
    }
    let empty = std::fs::read_dir(out)
        .map_err(|e| RunError::io(out, "read", e))?
        .next()
        .is_none();
    if !empty && !is_run_folder(out) {
        return refuse(
            "exists and was not written by crystal-diffusion (no run-folder marker); choose another path",
        );
    }
    Ok(())
}

/// Whether process `pid` is running (Linux: `/proc/PID`; elsewhere every process is taken
/// to be running, so nothing is cleaned up).
fn alive(pid: u32) -> bool {
    !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Tidies what killed runs left beside `target`, and recovers from the one moment of a
/// swap when `target` is missing: a `.NAME.old-PID` folder of a process that is gone and
/// no `target` is renamed back to `target` (it is the last complete version);
/// `.NAME.partial-PID-…` staging folders and other `.NAME.old-PID` folders of processes
/// that are gone are removed, and so are the temporary files of [`atomic_write`]
/// (`.FILE.tmp-PID-…`) of processes that are gone in the same folder. Links are never
/// followed or removed through.
pub fn recover(target: &Path) -> Result<(), RunError> {
    let (parent, name) = split(target);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Ok(());
    };
    let (old_prefix, partial_prefix) = (format!(".{name}.old-"), format!(".{name}.partial-"));
    let mut leftovers: Vec<(PathBuf, bool)> = Vec::new();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = temp_file_pid(&file) {
            let is_file = e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink());
            if is_file && !alive(pid) {
                let p = e.path();
                std::fs::remove_file(&p).map_err(|e| RunError::io(&p, "remove", e))?;
            }
            continue;
        }
        let (rest, is_old) = if let Some(r) = file.strip_prefix(&old_prefix) {
            (r, true)
        } else if let Some(r) = file.strip_prefix(&partial_prefix) {
            (r, false)
        } else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if let (Some(pid), true) = (pid, is_dir) {
            if !alive(pid) {
                leftovers.push((e.path(), is_old));
            }
        }
    }
    for (path, is_old) in leftovers {
        if is_old && std::fs::symlink_metadata(target).is_err() {
            std::fs::rename(&path, target).map_err(|e| RunError::io(&path, "restore", e))?;
        } else {
            std::fs::remove_dir_all(&path).map_err(|e| RunError::io(&path, "remove", e))?;
        }
    }
    Ok(())
}

/// Removes the temporary files of [`atomic_write`] of processes that are gone in `dir` and
/// its subfolders (links are neither followed nor removed).
fn remove_dead_temp_files(dir: &Path) -> Result<(), RunError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RunError::io(dir, "read", e))?;
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        let p = e.path();
        if t.is_dir() {
            remove_dead_temp_files(&p)?;
        } else if t.is_file() {
            let name = e.file_name().to_string_lossy().into_owned();
            if temp_file_pid(&name).is_some_and(|pid| !alive(pid)) {
                std::fs::remove_file(&p).map_err(|e| RunError::io(&p, "remove", e))?;
            }
        }
    }
    Ok(())
}

/// The process id in the name of a temporary file of [`atomic_write`]:
/// `.NAME.tmp-PID-16 hex digits`.
fn temp_file_pid(file: &str) -> Option<u32> {
    let (_, rest) = file.strip_prefix('.')?.rsplit_once(".tmp-")?;
    let (pid, random) = rest.split_once('-')?;
    (random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Eight bytes from the operating system's random source (time and process id where
/// there is none), for names nobody can guess in advance.
fn unpredictable() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u64::from_le_bytes(b);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ (u64::from(std::process::id()) << 32)
}

/// Writes `bytes` to `path` through a hidden temporary file in the same folder, renamed
/// into place.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    use std::io::Write;
    let (parent, name) = split(path);
    let tmp = parent.join(format!(
        ".{name}.tmp-{}-{:016x}",
        std::process::id(),
        unpredictable()
    ));
    // Created exclusively: a file or link planted under that name is an error, never
    // followed; the rename then replaces `path` itself (a link there is replaced, not
    // written through).
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_data()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        // Named by the file the user asked for; the temporary one is gone.
        return Err(RunError::io(path, "write", e));
    }
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

/// A lock on a run folder: the file `.NAME.lock` beside it, created exclusively and holding
/// the process id of its writer. Removed when dropped.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of `target`. A lock held by a live process (this one included) is
    /// an error naming it; one whose process is gone, or an empty one older than a
    /// minute (its writer was killed between creating and writing it), is taken over.
    pub fn acquire(target: &Path) -> Result<RunLock, RunError> {
        use std::io::Write;
        let (parent, name) = split(target);
        std::fs::create_dir_all(&parent).map_err(|e| RunError::io(&parent, "create", e))?;
        let path = parent.join(format!(".{name}.lock"));
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(format!("{}\n", std::process::id()).as_bytes())
                        .map_err(|e| RunError::io(&path, "write", e))?;
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let stale = match text.trim().parse::<u32>() {
                        Ok(pid) => !alive(pid),
                        Err(_) => std::fs::symlink_metadata(&path)
                            .and_then(|m| m.modified())
                            .ok()
                            .and_then(|t| t.elapsed().ok())
                            .is_some_and(|age| age.as_secs() > 60),
                    };
                    if !stale {
                        return Err(RunError::NotARunFolder {
                            path: target.to_path_buf(),
                            message: format!(
                                "is busy: another run (process {}) is writing it; wait for \
                                 it to end, or remove {} if it is gone",
                                text.trim(),
                                path.display()
                            ),
                        });
                    }
                    std::fs::remove_file(&path).map_err(|e| RunError::io(&path, "remove", e))?;
                }
                Err(e) => return Err(RunError::io(&path, "create", e)),
            }
        }
        Err(RunError::NotARunFolder {
            path: target.to_path_buf(),
            message: "is busy: its lock changed hands while being taken".into(),
        })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path)
            .is_ok_and(|t| t.trim() == std::process::id().to_string());
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A folder under construction beside its target.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
}

impl Staging {
    /// Creates the hidden staging folder for `target` (and `target`'s parent folders),
    /// named `.NAME.partial-PID-RANDOM` and created exclusively: an existing file, folder
    /// or link of that name is an error, never followed.
    pub fn new(target: &Path) -> Result<Staging, RunError> {
        let (parent, name) = split(target);
        std::fs::create_dir_all(&parent).map_err(|e| RunError::io(&parent, "create", e))?;
        recover(target)?;
        let staging = parent.join(format!(
            ".{name}.partial-{}-{:016x}",
            std::process::id(),
            unpredictable()
        ));
        std::fs::create_dir(&staging).map_err(|e| RunError::io(&staging, "create", e))?;
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
    _lock: RunLock,
}

impl RunDir {
    /// Prepares to write the run folder `target` (see [`check_out`]): fails at once if it
    /// may not be written. The staging folder carries the marker from the start.
    pub fn create(target: &Path) -> Result<RunDir, RunError> {
        check_out(target)?;
        let lock = RunLock::acquire(target)?;
        let staging = Staging::new(target)?;
        mark(staging.path())?;
        Ok(RunDir {
            staging,
            _lock: lock,
        })
    }

    /// [`RunDir::create`] that continues what a killed run of `target` left: the newest
    /// staging folder `.NAME.partial-PID-…` of a process that is gone and that holds
    /// `file` (the sampling journal) is taken over — renamed to this process's staging
    /// name — instead of being removed. Returns whether one was taken over.
    pub fn resume(target: &Path, file: &str) -> Result<(RunDir, bool), RunError> {
        check_out(target)?;
        let lock = RunLock::acquire(target)?;
        let (parent, name) = split(target);
        let prefix = format!(".{name}.partial-");
        let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for e in entries.flatten() {
                let fname = e.file_name().to_string_lossy().into_owned();
                let Some(rest) = fname.strip_prefix(&prefix) else {
                    continue;
                };
                let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                let has = std::fs::symlink_metadata(e.path().join(file)).is_ok_and(|m| m.is_file());
                if let (Some(pid), true, true) = (pid, is_dir, has) {
                    if alive(pid) {
                        continue;
                    }
                    let when = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(std::time::UNIX_EPOCH);
                    if newest.as_ref().is_none_or(|(t, _)| when > *t) {
                        newest = Some((when, e.path()));
                    }
                }
            }
        }
        let (staging, resumed) = match newest {
            Some((_, old)) => {
                let staging = parent.join(format!(
                    ".{name}.partial-{}-{:016x}",
                    std::process::id(),
                    unpredictable()
                ));
                std::fs::rename(&old, &staging).map_err(|e| RunError::io(&old, "take over", e))?;
                // Files the killed run was writing when it died (a leftover that cannot
                // be removed would only be an extra file: the run goes on).
                let _ = remove_dead_temp_files(&staging);
                let s = Staging {
                    target: target.to_path_buf(),
                    staging,
                };
                if let Err(e) = recover(target) {
                    std::mem::forget(s); // the interrupted run stays on disk
                    return Err(e);
                }
                (s, true)
            }
            None => (Staging::new(target)?, false),
        };
        if let Err(e) = mark(staging.path()) {
            if resumed {
                std::mem::forget(staging); // the interrupted run stays on disk
            }
            return Err(e);
        }
        Ok((
            RunDir {
                staging,
                _lock: lock,
            },
            resumed,
        ))
    }

    /// Gives up without a commit but keeps the staging folder on disk (a run that failed
    /// part way, for a later [`RunDir::resume`]), releasing the lock. Returns its path.
    pub fn keep(self) -> PathBuf {
        let RunDir { staging, _lock } = self;
        let path = staging.path().to_path_buf();
        std::mem::forget(staging);
        path
    }

    /// Where to write the run's files.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// The folder the run becomes.
    pub fn target(&self) -> &Path {
        self.staging.target()
    }

    /// Moves the finished folder into place (replacing an earlier run folder there), then
    /// releases the lock. If something else created a folder of its own at the target while
    /// this run was writing, that folder is left untouched and the run is kept beside it
    /// as `NAME.run-PID`, which the error names.
    pub fn commit(self) -> Result<PathBuf, RunError> {
        let RunDir { staging, _lock } = self;
        let target = staging.target().to_path_buf();
        if check_out(&target).is_err() {
            let (parent, name) = split(&target);
            let kept = parent.join(format!("{name}.run-{}", std::process::id()));
            std::fs::rename(staging.path(), &kept)
                .map_err(|e| RunError::io(&kept, "move into place", e))?;
            std::mem::forget(staging);
            return Err(RunError::NotARunFolder {
                path: target,
                message: format!(
                    "appeared while this run was writing and is not a run folder: it is left \
                     untouched, and this run is in {}",
                    kept.display()
                ),
            });
        }
        staging.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of the user's created at the target while a run writes survives the
    /// commit; the run is kept beside it.
    #[test]
    fn a_folder_created_mid_run_is_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("run");
        let d = RunDir::create(&target).unwrap();
        std::fs::write(d.staging().join("summary.json"), "{}").unwrap();
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("thesis.tex"), "mine").unwrap();
        let e = d.commit().unwrap_err().to_string();
        let kept = tmp.path().join(format!("run.run-{}", std::process::id()));
        assert!(e.contains(&kept.display().to_string()), "{e}");
        assert_eq!(
            std::fs::read_to_string(target.join("thesis.tex")).unwrap(),
            "mine"
        );
        assert!(kept.join("summary.json").is_file() && is_run_folder(&kept));
        assert!(!tmp.path().join(".run.lock").exists());
    }

    /// A temporary file of a killed `atomic_write` is removed at the next start; one of a
    /// live process, and files that only look alike, are kept.
    #[test]
    fn temporary_files_of_dead_writers_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let dead = d.join(".loss.csv.tmp-4294967-0123456789abcdef");
        let live = d.join(format!(
            ".loss.csv.tmp-{}-0123456789abcdef",
            std::process::id()
        ));
        let user = d.join(".notes.tmp-12-short");
        for p in [&dead, &live, &user] {
            std::fs::write(p, "x").unwrap();
        }
        recover(&d.join("checkpoint")).unwrap();
        assert!(!dead.exists());
        assert!(live.exists() && user.exists());
        assert_eq!(temp_file_pid(".a.b.tmp-77-0000000000000000"), Some(77));
        assert_eq!(temp_file_pid("a.tmp-77-0000000000000000"), None);
    }

    /// A second writer is refused while the first holds the folder, with the first's
    /// process named; the lock goes with the first; a dead writer's lock is taken over.
    #[test]
    fn a_busy_run_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("run");
        let first = RunDir::create(&target).unwrap();
        let e = RunDir::create(&target).unwrap_err().to_string();
        let me = std::process::id();
        assert!(
            e.contains(&format!("is busy: another run (process {me})")),
            "{e}"
        );
        std::fs::write(first.staging().join("a.txt"), "first").unwrap();
        first.commit().unwrap();
        assert!(!tmp.path().join(".run.lock").exists());
        // The next run gets it; a lock left by a process that is gone is taken over.
        drop(RunDir::create(&target).unwrap());
        std::fs::write(tmp.path().join(".run.lock"), "4294967\n").unwrap();
        let third = RunDir::create(&target).unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(".run.lock")).unwrap(),
            format!("{me}\n")
        );
        drop(third);
        assert_eq!(
            std::fs::read_to_string(target.join("a.txt")).unwrap(),
            "first"
        );
    }

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
    fn a_folder_with_other_files_is_refused_even_with_a_summary() {
        let tmp = tempfile::tempdir().unwrap();
        let thesis = tmp.path().join("thesis");
        std::fs::create_dir(&thesis).unwrap();
        std::fs::write(thesis.join("thesis.tex"), "x").unwrap();
        std::fs::write(thesis.join("summary.json"), "{}").unwrap();
        let err = RunDir::create(&thesis).unwrap_err();
        assert!(
            err.to_string().contains("not written by crystal-diffusion"),
            "{err}"
        );
        assert!(thesis.join("thesis.tex").exists());
        // Our own run folder is replaced whole.
        let run = tmp.path().join("run");
        let d = RunDir::create(&run).unwrap();
        std::fs::write(d.staging().join("a.txt"), "1").unwrap();
        d.commit().unwrap();
        assert!(is_run_folder(&run));
        let d = RunDir::create(&run).unwrap();
        d.commit().unwrap();
        assert!(!run.join("a.txt").exists() && is_run_folder(&run));
    }

    #[test]
    fn dot_dotdot_root_the_current_folder_and_links_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        for p in [".", "..", "/", "a/.."] {
            assert!(check_out(Path::new(p)).is_err(), "{p}");
        }
        let cwd = std::env::current_dir().unwrap();
        assert!(check_out(&cwd).is_err());
        assert!(check_out(cwd.parent().unwrap()).is_err());
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
            assert!(check_out(&link)
                .unwrap_err()
                .to_string()
                .contains("symbolic link"));
        }
        assert!(check_out(&tmp.path().join("new")).is_ok());
    }

    #[test]
    fn leftovers_of_dead_runs_are_cleaned_and_a_half_swapped_target_restored() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("checkpoint");
        // A run killed between the two renames of a swap: the previous checkpoint aside, a
        // finished staging folder, no target. PID 999999999 is not running.
        let old = tmp.path().join(".checkpoint.old-999999999");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("config.json"), "previous").unwrap();
        std::fs::create_dir(tmp.path().join(".checkpoint.partial-999999999-00ff")).unwrap();
        // A folder of a running process (this one) is left alone, and so is anything else.
        let mine = tmp
            .path()
            .join(format!(".checkpoint.partial-{}-0001", std::process::id()));
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
        recover(&target).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("config.json")).unwrap(),
            "previous"
        );
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mine_name = mine.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(left, [mine_name.as_str(), "checkpoint", "notes.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_replaces_a_planted_link_instead_of_writing_through_it() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside.txt");
        std::fs::write(&outside, "user data").unwrap();
        let link = tmp.path().join("report.html");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        atomic_write(&link, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "user data");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "report");
        assert!(!std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn staging_names_are_unpredictable_and_created_exclusively() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("run");
        let a = Staging::new(&target).unwrap();
        let b = Staging::new(&target).unwrap();
        assert_ne!(a.path(), b.path());
        let name = a.path().file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with(".run.partial-") && name.len() > 30,
            "{name}"
        );
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
