//! Readable colours around a merchant's accent: WCAG 2 relative luminance
//! and contrast ratio, the text colour to put on the accent (white or dark,
//! whichever contrasts more), and whether the accent itself is readable as
//! link text on the page background.
//!
//! Pure arithmetic on colours (floating point is fine here: these are not
//! money). Must not: parse user input (see `branding.rs`).

/// A colour in 8-bit sRGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

/// The pages' own colours the accent must stand out against.
pub const WHITE: Rgb = Rgb::new(0xff, 0xff, 0xff);
/// The dark text colour of the light theme (`--ink`).
pub const DARK_INK: Rgb = Rgb::new(0x16, 0x1a, 0x23);
/// The card background of the dark theme (`--card`).
pub const DARK_CARD: Rgb = Rgb::new(0x17, 0x1b, 0x22);

/// WCAG AA for normal text.
pub const READABLE_TEXT: f64 = 4.5;

impl Rgb {
    pub const fn new(r: u8, g: u8, b: u8) -> Rgb {
        Rgb { r, g, b }
    }

    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f64 {
        fn linear(channel: u8) -> f64 {
            let c = f64::from(channel) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// The WCAG contrast ratio with `other`, 1 to 21 (symmetric).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a >= b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

/// The text colour for a button filled with `accent`: white or the dark
/// ink, whichever contrasts more with it.
pub fn ink_on(accent: Rgb) -> Rgb {
    if accent.contrast(WHITE) >= accent.contrast(DARK_INK) {
        WHITE
    } else {
        DARK_INK
    }
}

/// `accent` when it reads as text on `background`, else `fallback`.
pub fn text_colour(accent: Rgb, background: Rgb, fallback: Rgb) -> Rgb {
    if accent.contrast(background) >= READABLE_TEXT {
        accent
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLACK: Rgb = Rgb::new(0, 0, 0);

    #[test]
    fn luminance_runs_from_black_to_white() {
        assert!(BLACK.luminance().abs() < 1e-9);
        assert!((WHITE.luminance() - 1.0).abs() < 1e-9);
        let mid = Rgb::new(0x77, 0x77, 0x77).luminance();
        assert!(mid > 0.17 && mid < 0.19, "{mid}");
    }

    #[test]
    fn contrast_matches_the_wcag_extremes_and_is_symmetric() {
        assert!((BLACK.contrast(WHITE) - 21.0).abs() < 1e-9);
        assert!((WHITE.contrast(WHITE) - 1.0).abs() < 1e-9);
        let navy = Rgb::new(0x1e, 0x3a, 0x8a);
        assert!((navy.contrast(WHITE) - WHITE.contrast(navy)).abs() < 1e-12);
    }

    #[test]
    fn dark_accents_get_white_text_and_light_accents_dark_text() {
        assert_eq!(ink_on(Rgb::new(0x4f, 0x46, 0xe5)), WHITE);
        assert_eq!(ink_on(Rgb::new(0xb4, 0x23, 0x18)), WHITE);
        assert_eq!(ink_on(BLACK), WHITE);
        assert_eq!(ink_on(Rgb::new(0xff, 0xd7, 0x00)), DARK_INK);
        assert_eq!(ink_on(Rgb::new(0x7d, 0xd3, 0xfc)), DARK_INK);
        assert_eq!(ink_on(WHITE), DARK_INK);
    }

    #[test]
    fn the_chosen_ink_is_always_the_more_readable_one() {
        for v in (0..=255u8).step_by(15) {
            for accent in [
                Rgb::new(v, 0, 0),
                Rgb::new(0, v, 0),
                Rgb::new(v, v, 255 - v),
            ] {
                let ink = ink_on(accent);
                let other = if ink == WHITE { DARK_INK } else { WHITE };
                assert!(accent.contrast(ink) >= accent.contrast(other), "{accent:?}");
            }
        }
    }

    #[test]
    fn a_pale_accent_is_not_used_as_link_text_on_white() {
        let yellow = Rgb::new(0xff, 0xd7, 0x00);
        assert_eq!(text_colour(yellow, WHITE, DARK_INK), DARK_INK);
        assert_eq!(text_colour(yellow, DARK_CARD, WHITE), yellow);
        let navy = Rgb::new(0x1e, 0x3a, 0x8a);
        assert_eq!(text_colour(navy, WHITE, DARK_INK), navy);
        assert_eq!(text_colour(navy, DARK_CARD, WHITE), WHITE);
    }
}
