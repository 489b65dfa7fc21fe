//! First-crossing solver (placeholder while being written).
