//! The crypto checkout's payment request: an EIP-681 URI for an ERC-20
//! `transfer` of USDC on Polygon (chain 137) to the session's deposit
//! address, and its QR code as inline SVG (rendered here, no image request).
//! No I/O. Building a code costs far more than rendering the rest of the
//! page, so pictures are memoised by their input: a bounded cache of a pure
//! function, whose entries can never be stale.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use qrcode::{Color, EcLevel, QrCode};

/// Polygon PoS mainnet.
pub const POLYGON_CHAIN_ID: u64 = 137;

/// `ethereum:<token>@137/transfer?address=<to>&uint256=<base units>`.
pub fn eip681(token_contract: &str, to: &str, base_units: u64) -> String {
    format!(
        "ethereum:{token_contract}@{POLYGON_CHAIN_ID}/transfer?address={to}&uint256={base_units}"
    )
}

/// Recently drawn codes by label and payment request.
static DRAWN: LazyLock<quick_cache::sync::Cache<String, Arc<str>>> =
    LazyLock::new(|| quick_cache::sync::Cache::new(4096));

/// [`svg`], drawn once per distinct `text` and `label` while it stays in
/// the memo (an open crypto page is re-rendered on every poll-triggered
/// reload and by every visitor).
pub fn svg_memo(text: &str, label: &str) -> anyhow::Result<Arc<str>> {
    let key = format!("{label}\u{0}{text}");
    if let Some(drawn) = DRAWN.get(&key) {
        return Ok(drawn);
    }
    let drawn: Arc<str> = svg(text, label)?.into();
    DRAWN.insert(key, drawn.clone());
    Ok(drawn)
}

/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// `text` as an `<svg>` QR code (no XML declaration), described for screen
/// readers by `label`. Each run of dark modules in a row is one small path
/// segment in a viewBox of one unit per module, which keeps the markup a
/// few kilobytes and cheap to build.
pub fn svg(text: &str, label: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("QR code of the payment request: {e}"))?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let label: String = label
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '&'))
        .collect();
    let mut out = format!(
        "<svg role=\"img\" aria-label=\"{label}\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {size} {size}\" width=\"220\" height=\"220\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for (y, row) in code.to_colors().chunks(width.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
            if run > 0 {
                let _ = write!(
                    out,
                    "M{} {}h{run}v1h-{run}z",
                    x + QUIET_ZONE,
                    y + QUIET_ZONE
                );
            }
            x += run.max(1);
        }
    }
    out.push_str("\"/></svg>");
    Ok(out)
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

    #[test]
    fn the_memo_answers_the_same_picture_as_drawing_it() {
        let text = "ethereum:0x0@137/transfer?uint256=5";
        let first = svg_memo(text, "QR").unwrap();
        let again = svg_memo(text, "QR").unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second call is the memo");
        assert_eq!(&*first, svg(text, "QR").unwrap().as_str());
        assert_ne!(&*svg_memo(text, "Scan").unwrap(), &*first);
    }

    #[test]
    fn the_svg_paints_exactly_the_dark_modules_of_the_code() {
        let text = "ethereum:0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359@137/transfer";
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == Color::Dark)
            .count();

        let svg = svg(text, "QR").unwrap();

        let painted: usize = svg
            .split('h')
            .skip(1)
            .filter_map(|part| part.split('v').next()?.parse::<usize>().ok())
            .sum();
        assert_eq!(painted, dark);
        let size = code.width() + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!("viewBox=\"0 0 {size} {size}\"")));
        assert!(svg.len() < 12_000, "compact: {} bytes", svg.len());
    }
}
