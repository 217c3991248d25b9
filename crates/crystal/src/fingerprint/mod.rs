//! Structure and composition fingerprints for the coverage metrics (issue 6; in progress).
