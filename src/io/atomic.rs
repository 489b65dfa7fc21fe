//! Atomic file writing, the one way every file of the crate is written: the content goes into a
//! temporary file in the target's directory, which is flushed and then renamed over the target,
//! so an interrupted write never leaves a half-written file. On error the temporary file is
//! removed and the error names the target.

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

#[cfg(test)]
mod tests {
    use super::*;

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
