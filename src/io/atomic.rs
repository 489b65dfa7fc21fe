//! Atomic file writing, the one way every file of the crate is written: the content goes into a
//! temporary file in the target's directory, which is flushed and then renamed over the target,
//! so an interrupted write never leaves a half-written file. On error the temporary file is
//! removed and the error names the target.
//!
//! A directory of files is written the same way as a whole ([`StagedDir`]): into a hidden
//! sibling, renamed over the old directory once complete, so a reader (or a killed run) sees
//! the old directory or the new one, never a mix.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file write that failed: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct AtomicError {
    /// The file (or directory) being written.
    pub path: PathBuf,
    /// The underlying error.
    pub source: io::Error,
}

/// A file being written atomically: a hidden temporary file next to its target, renamed over
/// the target by [`AtomicFile::persist`]; dropped without it, the temporary file is removed.
pub(crate) struct AtomicFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

/// The directory a file path lives in (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl AtomicFile {
    /// Starts writing `path`: creates the temporary file `.<name>.<random><suffix>` in the
    /// same directory (the suffix matters to writers that pick a format by extension, e.g.
    /// `.png`), with the permissions of an ordinary new file once renamed.
    pub(crate) fn create(path: &Path, suffix: &str) -> Result<AtomicFile, AtomicError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(suffix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Subject to the umask, like any file a program creates.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder
            .tempfile_in(parent_of(path))
            .map_err(|source| AtomicError {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
        })
    }

    /// The final path of the file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file's path, for writers that open files by name (the figures).
    #[cfg(feature = "plot")]
    pub(crate) fn temp_path(&self) -> &Path {
        self.tmp.path()
    }

    /// The temporary file, for unbuffered writes and permission changes.
    pub(crate) fn as_file(&self) -> &File {
        self.tmp.as_file()
    }

    /// A 64 KiB buffered writer into the temporary file; flush it before [`Self::persist`].
    pub(crate) fn writer(&self) -> BufWriter<&File> {
        BufWriter::with_capacity(1 << 16, self.tmp.as_file())
    }

    /// An error about this file.
    pub(crate) fn error(&self, source: io::Error) -> AtomicError {
        AtomicError {
            path: self.path.clone(),
            source,
        }
    }

    /// Renames the temporary file over the target; returns the target's path.
    pub(crate) fn persist(self) -> Result<PathBuf, AtomicError> {
        let path = self.path;
        match self.tmp.persist(&path) {
            Ok(_) => Ok(path),
            Err(e) => Err(AtomicError {
                path,
                source: e.error,
            }),
        }
    }
}

/// Writes `path` atomically: `fill` streams the content into a buffered temporary file, which
/// is flushed and renamed to `path` only if everything succeeded. `fill`'s own errors pass
/// through; I/O errors of the temporary file become `E` through [`AtomicError`].
pub(crate) fn write_with<E, F>(path: &Path, fill: F) -> Result<PathBuf, E>
where
    E: From<AtomicError>,
    F: FnOnce(&mut BufWriter<&File>) -> Result<(), E>,
{
    let file = AtomicFile::create(path, ".tmp")?;
    {
        let mut w = file.writer();
        fill(&mut w)?;
        w.flush().map_err(|e| file.error(e))?;
    }
    Ok(file.persist()?)
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<PathBuf, AtomicError> {
    write_with(path, |w| {
        w.write_all(bytes).map_err(|source| AtomicError {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// A directory written as a whole: the files go into a hidden staging directory beside the
/// target (`.<name>.staging-<random>`), which [`StagedDir::commit`] renames over the target.
/// Creating it checks, before any work, that the target can be written: its parent exists or
/// can be created and is writable, and the target is not a file. Dropped without a commit
/// (an error), the staging directory is removed and the target is untouched. A process killed
/// before the commit leaves the old target intact and a hidden staging directory beside it.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: Option<tempfile::TempDir>,
}

impl StagedDir {
    /// Prepares to replace `target`. `replaceable(name)` says whether a file of an existing
    /// target may be replaced; a target that holds anything else (a subdirectory, or a file it
    /// refuses) is refused, naming what it holds, so that nothing but the caller's own output
    /// is ever removed.
    pub fn new(
        target: &Path,
        replaceable: impl Fn(&str) -> bool,
    ) -> Result<StagedDir, AtomicError> {
        let err = |source: io::Error| AtomicError {
            path: target.to_path_buf(),
            source,
        };
        match std::fs::metadata(target) {
            Ok(m) if !m.is_dir() => {
                return Err(err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists and is not a directory",
                )))
            }
            Ok(_) => {
                let mut foreign = Vec::new();
                for entry in std::fs::read_dir(target).map_err(err)? {
                    let entry = entry.map_err(err)?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let is_file = entry.file_type().map_err(err)?.is_file();
                    if !(is_file && replaceable(&name)) {
                        foreign.push(name);
                    }
                }
                if !foreign.is_empty() {
                    foreign.sort();
                    let more = foreign.len().saturating_sub(3);
                    let mut names = foreign.into_iter().take(3).collect::<Vec<_>>().join(", ");
                    if more > 0 {
                        names.push_str(&format!(" and {more} more"));
                    }
                    return Err(err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "holds files that are not results ({names}), so it is not replaced; \
                             choose another results directory or empty this one"
                        ),
                    )));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let parent = parent_of(target);
        std::fs::create_dir_all(parent).map_err(|source| AtomicError {
            path: parent.to_path_buf(),
            source,
        })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .tempdir_in(parent)
            .map_err(err)?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging: Some(staging),
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        self.staging.as_ref().expect("not committed").path()
    }

    /// The directory the files will be in after [`StagedDir::commit`].
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the target by the staged directory: an old target is first renamed aside
    /// (`.<name>.old-<random>`), the staged directory renamed to the target, and the old one
    /// removed. Returns the target.
    pub fn commit(mut self) -> Result<PathBuf, AtomicError> {
        let staging = self.staging.take().expect("committed once").keep();
        let target = self.target.clone();
        let err = |path: &Path, source: io::Error| AtomicError {
            path: path.to_path_buf(),
            source,
        };
        if std::fs::symlink_metadata(&target).is_ok() {
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // an empty directory with a free name, which the old target replaces
            let old = tempfile::Builder::new()
                .prefix(&format!(".{name}.old-"))
                .tempdir_in(parent_of(&target))
                .map_err(|e| err(&target, e))?
                .keep();
            if let Err(e) = std::fs::rename(&target, &old) {
                let _ = std::fs::remove_dir(&old);
                let _ = std::fs::remove_dir_all(&staging);
                return Err(err(&target, e));
            }
            if let Err(e) = std::fs::rename(&staging, &target) {
                // put the old results back
                let _ = std::fs::rename(&old, &target);
                let _ = std::fs::remove_dir_all(&staging);
                return Err(err(&target, e));
            }
            std::fs::remove_dir_all(&old).map_err(|e| err(&old, e))?;
        } else if let Err(e) = std::fs::rename(&staging, &target) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(err(&target, e));
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_directory_replaces_the_old_one_as_a_whole() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("results");
        let csv = |n: &str| n.ends_with(".csv");
        // a first run
        let s = StagedDir::new(&target, csv).unwrap();
        write_bytes(&s.path().join("a.csv"), b"1").unwrap();
        write_bytes(&s.path().join("b.csv"), b"1").unwrap();
        assert!(!target.exists(), "nothing at the target before the commit");
        s.commit().unwrap();
        // a second run writes fewer files: the first run's b.csv is gone
        let s = StagedDir::new(&target, csv).unwrap();
        write_bytes(&s.path().join("a.csv"), b"2").unwrap();
        assert_eq!(std::fs::read(target.join("a.csv")).unwrap(), b"1");
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a.csv")).unwrap(), b"2");
        assert!(!target.join("b.csv").exists());
        // an abandoned run leaves the target as it was, and no staging directory
        let s = StagedDir::new(&target, csv).unwrap();
        write_bytes(&s.path().join("a.csv"), b"3").unwrap();
        drop(s);
        assert_eq!(std::fs::read(target.join("a.csv")).unwrap(), b"2");
        let names: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["results"]);
        // a directory with other files is refused, and so is a file
        std::fs::write(target.join("notes.txt"), b"mine").unwrap();
        let e = StagedDir::new(&target, csv).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        let file = root.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let e = StagedDir::new(&file, csv).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }

    #[test]
    fn writes_whole_files_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        assert_eq!(write_bytes(&p, b"hello").unwrap(), p);
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        // A failing fill leaves the old file and no temporary file.
        let r: Result<PathBuf, AtomicError> = write_with(&p, |w| {
            w.write_all(b"partial").unwrap();
            Err(AtomicError {
                path: p.clone(),
                source: io::Error::other("stop"),
            })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // The error names the file.
        let err = write_bytes(&dir.path().join("no/such/dir/b.txt"), b"x").unwrap_err();
        assert!(err.to_string().contains("b.txt"), "{err}");
    }
}
