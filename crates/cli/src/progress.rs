//! Progress bars for long work (training, sampling, analysing or evaluating many
//! structures): position, rate and ETA on stderr, hidden when stderr is not a terminal or
//! with `--quiet`, so logs and pipes stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `len` steps labelled `what`; hidden when `quiet` or stderr is not a terminal.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {rate} ETA {eta}")
    {
        pb.set_style(
            style
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}/s", s.per_sec());
                })
                .progress_chars("=> "),
        );
    }
    pb.set_message(what.to_string());
    pb
}
