//! A QR code of a public URL (a payment link or product page) as inline
//! SVG, drawn here so the dashboard makes no image request. Pure.

use qrcode::QrCode;
use qrcode::render::svg;

/// `text` as an `<svg>` QR code, or `None` when it is too long to encode.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(176, 176)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline in HTML: without the XML declaration.
    drawn.find("<svg").map(|at| drawn[at..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_becomes_an_inline_svg() {
        let drawn = svg("https://pay.example/l/abcdefghjk").unwrap_or_default();
        assert!(drawn.starts_with("<svg"), "{drawn}");
        assert!(drawn.ends_with("</svg>"));
    }
}
