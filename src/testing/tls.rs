//! A TLS identity for local test servers: a fresh self-signed END-ENTITY certificate
//! (`CA:FALSE`, `serverAuth`, SAN `IP:127.0.0.1` and `localhost` unless told
//! otherwise), because rustls
//! rejects a CA certificate used as the server certificate
//! (ureq 3 has no way to add one root to its defaults), and a client agent trusting such a certificate.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A generated server certificate and its rustls server configuration.
pub(crate) struct TestIdentity {
    pub(crate) cert_pem: String,
    pub(crate) cert_der: Vec<u8>,
    pub(crate) server_config: Arc<rustls::ServerConfig>,
}

/// A ureq agent trusting ONLY `root` (PEM, possibly several blocks, or DER), reading
/// every HTTP status as a response, with `timeout` for a whole request: for tests and
/// benches that talk to [`ArnReceiver`](super::ArnReceiver) or
/// [`Azurite`](super::Azurite) directly. Fails with [`crate::Error::Config`] on an
/// unreadable certificate.
pub fn agent_trusting(
    root: impl AsRef<[u8]>,
    timeout: Duration,
) -> Result<ureq::Agent, crate::Error> {
    let roots = crate::transport::parse_root_certificates(root.as_ref())?;
    Ok(crate::transport::agent_config(None, timeout, &roots)
        .build()
        .new_agent())
}

fn other<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(e.to_string())
}

/// The names a generated certificate is for when the builder names none.
pub(crate) const DEFAULT_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// Generates a new identity for `names` (DNS names or IP addresses), valid now, or
/// only in the year 2000 when `expired`.
pub(crate) fn generate(names: &[String], expired: bool) -> io::Result<TestIdentity> {
    let mut params = CertificateParams::new(names.to_vec()).map_err(other)?;
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2000, 12, 31);
    }
    params
        .distinguished_name
        .push(DnType::CommonName, "arn-client local test receiver");
    params.is_ca = IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate().map_err(other)?;
    let cert = params.self_signed(&key).map_err(other)?;
    let cert_der = cert.der().to_vec();
    // ring, the provider ureq's `rustls` feature uses (ureq 3.5 calls this same
    // function). rustls 0.23.48 deprecates it ("no support for post-quantum
    // algorithms") and offers no ring replacement: its advice is the aws-lc-rs
    // provider, a C build that every user of `testing` (arn-cli too) would compile.
    // Post-quantum key exchange buys nothing on a loopback test receiver, and asking
    // rustls for its process default (`ServerConfig::builder()`) would install one,
    // a process-global change the crate never makes.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(other)?;
    Ok(TestIdentity {
        cert_pem: cert.pem(),
        cert_der,
        server_config: Arc::new(server_config),
    })
}
