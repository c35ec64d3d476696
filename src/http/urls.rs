//! The public URLs of the hosted pages that other doors hand out (the API's
//! `checkout_url` and `payment_url`, the checkout's return links). It only
//! formats addresses; it must not decide which page a customer sees.

/// The hosted checkout URL of a session.
pub fn checkout_url(public_base: &str, session_id: i64) -> String {
    format!("{public_base}/pay.php?session={session_id}")
}
