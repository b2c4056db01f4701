//! The token Airflow's webserver sends to a worker's log server: a JWT
//! signed HS512 with the shared secret, audience `task-instance-logs`, the
//! requested file in claim `filename`, valid for a few seconds (the server
//! allows `log_request_clock_grace`, 30 s by default, of clock skew).
//! It goes raw into the `Authorization` header, without `Bearer`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

/// The audience Airflow's log server checks.
pub const AUDIENCE: &str = "task-instance-logs";

/// Seconds a token stays valid, as Airflow's default.
const VALID_FOR: u64 = 30;

/// A fresh token for `filename` (the path relative to the log folder).
pub fn sign(secret: &str, filename: &str) -> Result<String, String> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the clock is before 1970".to_string())?;
    let now = since_epoch.as_secs();
    // Unique per token, as Airflow's generator makes them.
    let jti = format!(
        "{:016x}{:08x}{:08x}",
        since_epoch.as_nanos() as u64,
        std::process::id(),
        SERIAL.fetch_add(1, Ordering::Relaxed)
    );
    let claims = serde_json::json!({
        "jti": jti,
        "aud": AUDIENCE,
        "nbf": now,
        "iat": now,
        "exp": now + VALID_FOR,
        "filename": filename,
    });
    encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the log server token: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, DecodingKey, Validation};

    #[test]
    fn tokens_verify_with_the_secret_audience_and_filename() {
        let token = sign("s3cret", "dag_id=a/run_id=b/task_id=c/attempt=1.log").unwrap();
        let mut validation = Validation::new(Algorithm::HS512);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud"]);
        let data =
            decode::<serde_json::Value>(&token, &DecodingKey::from_secret(b"s3cret"), &validation)
                .unwrap();
        assert_eq!(
            data.claims["filename"],
            "dag_id=a/run_id=b/task_id=c/attempt=1.log"
        );
        assert!(decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"wrong"),
            &validation
        )
        .is_err());
    }
}
