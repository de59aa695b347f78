// Package jwt signs and verifies Latch's access tokens and publishes their
// public keys as a JSON Web Key Set.
//
// An access token is a compact JWS (RFC 7515) whose payload is a fixed set
// of claims ([Claims]). Latch signs it with one of three asymmetric
// algorithms — [EdDSA] (Ed25519, the default), [RS256] or [ES256] — so that
// resource servers, written in Go or in any other language, can verify it
// offline with the public keys Latch serves as a JWKS (RFC 7517, see
// [KeySet.JWKS]). A key's id ("kid") is its RFC 7638 JWK thumbprint.
//
// Verification ([KeySet.Verify]) is strict: the token's header must name a
// known kid and carry exactly that key's algorithm (so "none", HMAC and any
// other algorithm confusion are rejected), no "crit" header is accepted, and
// the expiry, issue time, issuer and audience are checked. It runs on every
// request of a resource server, so it avoids reflection: the header and
// claims are read by a small strict JSON scanner into a fixed struct. A
// [KeySet] remembers the last few thousand tokens it verified, with their
// claims as read: such a token presented again costs a map lookup and the
// time, issuer and audience checks, and, through [KeySet.VerifyInto], no
// allocation.
//
// Private keys are stored as PKCS #8 DER ([Key.MarshalPrivate],
// [ParsePrivateKey]), encrypted under Latch's master secret with [Seal] and
// [Open].
package jwt
