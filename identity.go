package latch

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// UsernameKey is the form in which usernames are compared: two usernames
// are the same account's exactly when their keys are equal. It is the
// username in Unicode NFKC form (fullwidth and other compatibility
// characters folded: "ＡＤＭＩＮ" is "ADMIN"), lower-cased with Unicode's
// simple case mapping, in NFKC again — the mapping of PRECIS's
// UsernameCaseMapped profile (RFC 8265), with NFKC in place of its width
// folding and NFC. Stores keep it beside the username and look usernames up
// by it, calling this function, so that it is derived in this one place.
//
// For a username that is already NFKC (every username Latch accepted
// before this rule), the key is the plain lower-casing it was before, so
// stored keys stay valid.
func UsernameKey(username string) string {
	return norm.NFKC.String(strings.ToLower(norm.NFKC.String(username)))
}
