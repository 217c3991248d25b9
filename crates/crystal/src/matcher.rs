//! Structure matcher (issue 6; in progress).
