//! The signal name table lives in `upc-bundle`, shared with the runtime
//! (which names signals in `EXIT_SIGNAL=` and its log).

pub use upc_bundle::signals::{signal_name, signal_names, signal_number, SIGNAL_MAX};
