//! The crypto checkout's payment request: an EIP-681 URI for an ERC-20
//! `transfer` of USDC on Polygon (chain 137) to the session's deposit
//! address, and its QR code as inline SVG (rendered here, no image request).
//! Pure: no I/O.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Polygon PoS mainnet.
pub const POLYGON_CHAIN_ID: u64 = 137;

/// `ethereum:<token>@137/transfer?address=<to>&uint256=<base units>`.
pub fn eip681(token_contract: &str, to: &str, base_units: u64) -> String {
    format!(
        "ethereum:{token_contract}@{POLYGON_CHAIN_ID}/transfer?address={to}&uint256={base_units}"
    )
}

/// `text` as an `<svg>` QR code (no XML declaration), described for screen
/// readers by `label`.
pub fn svg(text: &str, label: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("QR code of the payment request: {e}"))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    let label: String = label
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '&'))
        .collect();
    Ok(image[start..].replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" "),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_is_an_erc20_transfer_on_polygon() {
        let uri = eip681(
            "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            85_320_000,
        );
        assert_eq!(
            uri,
            "ethereum:0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359@137/transfer?address=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed&uint256=85320000"
        );
    }

    #[test]
    fn the_qr_code_is_inline_svg() {
        let svg = svg("ethereum:0x0@137/transfer", "Scan \"me\"").unwrap();
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"Scan me\" "),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }
}
