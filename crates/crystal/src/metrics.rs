//! CSP and de novo generation metrics (issue 6; in progress).
