//! Colours, the embedded font and other look-and-feel shared by every plot.
//!
//! The PNG plots draw text with DejaVu Sans, embedded in the binary and registered with
//! plotters' `ab_glyph` text renderer as the family `sans-serif`, so no system font is
//! ever looked up. SVG plots name the same family and let the viewer's font render it.
//! Element colours are Jmol's (the convention of most structure viewers).

use plotters::style::{FontStyle, RGBColor};
use std::sync::OnceLock;

/// Font family every plot uses.
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font with plotters (once per process). Returns `false` if the
/// font could not be parsed (never expected; text would then fail to draw).
pub fn register_font() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        let normal = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok();
        let bold = plotters::style::register_font(FONT, FontStyle::Bold, FONT_BYTES).is_ok();
        normal && bold
    })
}

/// Generated structures.
pub const GENERATED: RGBColor = RGBColor(31, 119, 180);
/// Training ("real") structures.
pub const TRAINING: RGBColor = RGBColor(255, 127, 14);
/// The random baseline.
pub const BASELINE: RGBColor = RGBColor(127, 127, 127);
/// Valid structures.
pub const VALID: RGBColor = RGBColor(44, 160, 44);
/// Invalid structures.
pub const INVALID: RGBColor = RGBColor(214, 39, 40);
/// Thresholds and reference lines.
pub const THRESHOLD: RGBColor = RGBColor(148, 103, 189);
/// Unit-cell edges.
pub const CELL: RGBColor = RGBColor(60, 60, 60);

/// Jmol colours by atomic number (index 0 = Z 1), as hex RGB.
const JMOL: [u32; 109] = [
    0xFFFFFF, 0xD9FFFF, 0xCC80FF, 0xC2FF00, 0xFFB5B5, 0x909090, 0x3050F8, 0xFF0D0D, 0x90E050,
    0xB3E3F5, 0xAB5CF2, 0x8AFF00, 0xBFA6A6, 0xF0C8A0, 0xFF8000, 0xFFFF30, 0x1FF01F, 0x80D1E3,
    0x8F40D4, 0x3DFF00, 0xE6E6E6, 0xBFC2C7, 0xA6A6AB, 0x8A99C7, 0x9C7AC7, 0xE06633, 0xF090A0,
    0x50D050, 0xC88033, 0x7D80B0, 0xC28F8F, 0x668F8F, 0xBD80E3, 0xFFA100, 0xA62929, 0x5CB8D1,
    0x702EB0, 0x00FF00, 0x94FFFF, 0x94E0E0, 0x73C2C9, 0x54B5B5, 0x3B9E9E, 0x248F8F, 0x0A7D8C,
    0x006985, 0xC0C0C0, 0xFFD98F, 0xA67573, 0x668080, 0x9E63B5, 0xD47A00, 0x940094, 0x429EB0,
    0x57178F, 0x00C900, 0x70D4FF, 0xFFFFC7, 0xD9FFC7, 0xC7FFC7, 0xA3FFC7, 0x8FFFC7, 0x61FFC7,
    0x45FFC7, 0x30FFC7, 0x1FFFC7, 0x00FF9C, 0x00E675, 0x00D452, 0x00BF38, 0x00AB24, 0x4DC2FF,
    0x4DA6FF, 0x2194D6, 0x267DAB, 0x266696, 0x175487, 0xD0D0E0, 0xFFD123, 0xB8B8D0, 0xA6544D,
    0x575961, 0x9E4FB5, 0xAB5C00, 0x754F45, 0x428296, 0x420066, 0x007D00, 0x70ABFA, 0x00BAFF,
    0x00A1FF, 0x008FFF, 0x0080FF, 0x006BFF, 0x545CF2, 0x785CE3, 0x8A4FE3, 0xA136D4, 0xB31FD4,
    0xB31FBA, 0xB30DA6, 0xBD0D87, 0xC70066, 0xCC0059, 0xD1004F, 0xD90045, 0xE00038, 0xE6002E,
    0xEB0026,
];

/// Colour of elements beyond the table and of unknown species.
const OTHER: u32 = 0xFF1493;

/// Jmol colour of an element symbol, as hex RGB (`0xRRGGBB`).
pub fn element_hex(symbol: &str) -> u32 {
    crystal::Element::from_symbol(symbol)
        .ok()
        .and_then(|e| JMOL.get(e.z() as usize - 1).copied())
        .unwrap_or(OTHER)
}

/// Jmol colour of an element symbol.
pub fn element_color(symbol: &str) -> RGBColor {
    let h = element_hex(symbol);
    RGBColor((h >> 16) as u8, (h >> 8) as u8, h as u8)
}

/// Jmol colour as a CSS string `#rrggbb`.
pub fn element_css(symbol: &str) -> String {
    format!("#{:06x}", element_hex(symbol))
}

/// Covalent radius in Å for drawing (1.5 Å when unknown).
pub fn draw_radius(symbol: &str) -> f64 {
    crystal::Element::from_symbol(symbol)
        .ok()
        .and_then(|e| e.covalent_radius())
        .unwrap_or(1.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jmol_colours() {
        assert_eq!(element_css("C"), "#909090");
        assert_eq!(element_css("Fe"), "#e06633");
        assert_eq!(element_css("Al"), "#bfa6a6");
        assert_eq!(element_css("O"), "#ff0d0d");
        assert_eq!(element_css("Mt"), "#eb0026");
        assert_eq!(element_css("Og"), "#ff1493");
        assert_eq!(element_css("Xx"), "#ff1493");
    }

    #[test]
    fn font_registers() {
        assert!(register_font());
    }
}
