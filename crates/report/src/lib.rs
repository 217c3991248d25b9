//! Plots and the self-contained HTML report of a run folder (skeleton; issue 5).
