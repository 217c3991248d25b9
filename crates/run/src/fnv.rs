//! FNV-1a, 64 bit: the one small, dependency-free hash of run-folder and checkpoint
//! contracts (a checkpoint's weight checksum, a sampling journal's identity of its
//! targets and weights). Not for security: it only tells accidental changes apart.

/// An FNV-1a (64-bit) hasher fed in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// The hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// FNV-1a of `bytes`, as 16 hex digits.
pub fn fnv1a(bytes: &[u8]) -> String {
    let mut h = Fnv1a::default();
    h.update(bytes);
    h.hex()
}

#[cfg(test)]
mod tests {
    /// The reference values of the FNV specification (draft-eastlake-fnv).
    #[test]
    fn textbook_values() {
        assert_eq!(super::fnv1a(b""), "cbf29ce484222325");
        assert_eq!(super::fnv1a(b"a"), "af63dc4c8601ec8c");
        assert_eq!(super::fnv1a(b"foobar"), "85944171f73967e8");
    }
}
