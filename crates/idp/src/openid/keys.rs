//! A provider's public keys, parsed from its JWKS one by one: a malformed or unsupported key is
//! skipped and reported, the good ones keep working. Each key carries the algorithms it may
//! verify, decided by its type (RSA: RS*/PS*; EC P-256: ES256, P-384: ES384; Ed25519: EdDSA),
//! narrowed to the key's own `alg` when it names one. HMAC is never allowed with these keys.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

const RSA_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// One usable verification key.
pub(crate) struct PublicKey {
    pub(crate) kid: Option<String>,
    pub(crate) key: DecodingKey,
    pub(crate) algorithms: Vec<Algorithm>,
}

/// The usable keys of one JWKS.
#[derive(Default)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<PublicKey>,
}

impl KeySet {
    /// Parses `jwks` (`{"keys": [...]}`); returns the usable keys and why the others were
    /// skipped.
    pub(crate) fn parse(jwks: &serde_json::Value) -> (KeySet, Vec<String>) {
        let mut set = KeySet::default();
        let mut skipped = Vec::new();
        let Some(entries) = jwks.get("keys").and_then(|k| k.as_array()) else {
            skipped.push("the document has no `keys` array".to_owned());
            return (set, skipped);
        };
        for (i, entry) in entries.iter().enumerate() {
            let kid = entry.get("kid").and_then(|k| k.as_str()).map(str::to_owned);
            let label = kid.clone().unwrap_or_else(|| format!("#{i}"));
            match parse_key(entry) {
                Ok(key) => set.keys.push(PublicKey {
                    kid,
                    key: key.0,
                    algorithms: key.1,
                }),
                Err(why) => skipped.push(format!("key {label}: {why}")),
            }
        }
        (set, skipped)
    }

    /// The key with this id.
    pub(crate) fn find(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

fn parse_key(entry: &serde_json::Value) -> Result<(DecodingKey, Vec<Algorithm>), String> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|e| format!("malformed: {e}"))?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("an encryption key (`use`: `enc`)".into());
    }
    let mut algorithms: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_ALGORITHMS.to_vec(),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            ref other => return Err(format!("unsupported curve {other:?}")),
        },
        AlgorithmParameters::OctetKeyPair(okp) => match okp.curve {
            EllipticCurve::Ed25519 => vec![Algorithm::EdDSA],
            ref other => return Err(format!("unsupported curve {other:?}")),
        },
        AlgorithmParameters::OctetKey(_) => {
            return Err("a symmetric key in a public JWKS".into());
        }
        _ => return Err("an unsupported key type".into()),
    };
    if let Some(declared) = jwk.common.key_algorithm {
        let declared = match declared {
            KeyAlgorithm::RS256 => Algorithm::RS256,
            KeyAlgorithm::RS384 => Algorithm::RS384,
            KeyAlgorithm::RS512 => Algorithm::RS512,
            KeyAlgorithm::PS256 => Algorithm::PS256,
            KeyAlgorithm::PS384 => Algorithm::PS384,
            KeyAlgorithm::PS512 => Algorithm::PS512,
            KeyAlgorithm::ES256 => Algorithm::ES256,
            KeyAlgorithm::ES384 => Algorithm::ES384,
            KeyAlgorithm::EdDSA => Algorithm::EdDSA,
            other => return Err(format!("unsupported algorithm {other:?}")),
        };
        if !algorithms.contains(&declared) {
            return Err(format!("algorithm {declared:?} does not fit the key type"));
        }
        algorithms = vec![declared];
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("unusable: {e}"))?;
    Ok((key, algorithms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_skipped_and_good_ones_kept() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "good", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "EC", "kid": "p521", "crv": "P-521", "x": "AQ", "y": "AQ"},
            {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            "not an object"
        ]});
        let (set, skipped) = KeySet::parse(&jwks);
        assert_eq!(set.keys.len(), 1, "{skipped:?}");
        assert!(set.find("good").is_some());
        assert_eq!(skipped.len(), 5, "{skipped:?}");
    }
}
