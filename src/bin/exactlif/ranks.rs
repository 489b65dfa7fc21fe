//! `exactlif run` over several processes: whether this process is one rank of an MPI job,
//! and its [`exactlif::Comm`].

use std::sync::Arc;

use exactlif::{launcher_size, Backend, Comm};

use crate::app::AppError;

/// This process's part in an MPI job, if it is one: the rank's comm, and (feature `mpi`) the
/// MPI environment, finalized when this is dropped.
pub struct Ranks {
    pub comm: Option<Arc<dyn Comm>>,
    #[cfg(feature = "mpi")]
    _universe: Option<exactlif::mpi::environment::Universe>,
}

impl Ranks {
    /// One process alone.
    fn alone() -> Self {
        Ranks {
            comm: None,
            #[cfg(feature = "mpi")]
            _universe: None,
        }
    }
}

/// The ranks of this run: alone unless an MPI launcher started this process as one of
/// several. Refuses what would silently run the whole model in every process: a build without
/// MPI, or one linked to another MPI library than the launcher's; and a step-based backend.
pub fn ranks(backend: Backend) -> Result<Ranks, AppError> {
    let Some((n, var)) = launcher_size().filter(|&(n, _)| n > 1) else {
        return Ok(Ranks::alone());
    };
    if backend != Backend::Exact {
        return Err(AppError::Usage(format!(
            "launched as one of {n} processes ({var}={n}), but only the exact backend runs over \
             several processes; run the {backend} backend as one process"
        )));
    }
    #[cfg(feature = "mpi")]
    {
        let universe = exactlif::mpi::initialize();
        let comm = exactlif::MpiComm::world();
        if comm.size() != n {
            return Err(AppError::Usage(format!(
                "launched as one of {n} processes ({var}={n}), but MPI sees a world of {}: this \
                 exactlif is linked to another MPI library than the launcher's (it would run the \
                 whole model in every process); launch it with the mpirun of the MPI it was \
                 built with (Debian's OpenMPI: /usr/bin/mpirun.openmpi)",
                comm.size()
            )));
        }
        Ok(Ranks {
            comm: Some(Arc::new(comm)),
            _universe: universe,
        })
    }
    #[cfg(not(feature = "mpi"))]
    Err(AppError::Usage(format!(
        "launched as one of {n} processes ({var}={n}), but this exactlif was built without MPI: \
         each process would run the whole model alone; build it with `cargo build --release \
         --features mpi` (README: \"Several processes\") or run one process"
    )))
}
