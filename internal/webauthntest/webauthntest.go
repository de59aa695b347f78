// Package webauthntest is a software WebAuthn authenticator for tests: it
// answers the creation and request options a relying party sends with
// real ES256 signatures, "none" attestation objects in CBOR and the
// client data a browser would send, and lets a test break each part
// (origin, relying-party id, user presence, counter) to check refusals.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Authenticator is one software authenticator holding one credential.
type Authenticator struct {
	// Origin is the origin the "browser" reports in the client data.
	Origin string
	// RPID is the relying-party id whose hash the authenticator data
	// carries; empty: the options' own.
	RPID string
	// NoUserPresence clears the user-present flag.
	NoUserPresence bool
	// Counter is the signature counter; each assertion increases it first.
	Counter uint32
	// FreezeCounter keeps the counter from increasing (a cloned key).
	FreezeCounter bool

	key          *ecdsa.PrivateKey
	CredentialID []byte
	UserHandle   []byte
}

// New returns an authenticator whose browser is at origin.
func New(origin string) *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Authenticator{Origin: origin, key: key, CredentialID: id}
}

var b64 = base64.RawURLEncoding

// options is the part of creation and request options the authenticator reads.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func parse(raw []byte) (*options, error) {
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("webauthntest: options: %w", err)
	}
	return &o, nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) authData(rpID string, flags byte, attested []byte) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	if !a.NoUserPresence {
		flags |= 0x01 // UP
	}
	flags |= 0x04 // UV
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.Counter)
	return append(out, attested...)
}

// Create answers creation options (the JSON a relying party sends for
// navigator.credentials.create) with a registration response.
func (a *Authenticator) Create(raw []byte) ([]byte, error) {
	o, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if a.UserHandle, err = b64.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, fmt.Errorf("webauthntest: user id: %w", err)
	}
	x, y := a.key.X.FillBytes(make([]byte, 32)), a.key.Y.FillBytes(make([]byte, 32))
	// COSE_Key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
	cose := cborMap(5)
	cose = append(cose, cborInt(1)...)
	cose = append(cose, cborInt(2)...)
	cose = append(cose, cborInt(3)...)
	cose = append(cose, cborInt(-7)...)
	cose = append(cose, cborInt(-1)...)
	cose = append(cose, cborInt(1)...)
	cose = append(cose, cborInt(-2)...)
	cose = append(cose, cborBytes(x)...)
	cose = append(cose, cborInt(-3)...)
	cose = append(cose, cborBytes(y)...)
	attested := make([]byte, 16) // AAGUID: zero
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.CredentialID)))
	attested = append(attested, a.CredentialID...)
	attested = append(attested, cose...)
	auth := a.authData(o.PublicKey.RP.ID, 0x40, attested) // AT
	att := cborMap(3)
	att = append(att, cborText("fmt")...)
	att = append(att, cborText("none")...)
	att = append(att, cborText("attStmt")...)
	att = append(att, cborMap(0)...)
	att = append(att, cborText("authData")...)
	att = append(att, cborBytes(auth)...)
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.CredentialID), "rawId": b64.EncodeToString(a.CredentialID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"usb"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get answers request options (navigator.credentials.get) with an
// assertion signed by the credential.
func (a *Authenticator) Get(raw []byte) ([]byte, error) {
	o, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if !a.FreezeCounter {
		a.Counter++
	}
	auth := a.authData(o.PublicKey.RPID, 0, nil)
	client := a.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(client)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.CredentialID), "rawId": b64.EncodeToString(a.CredentialID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(client),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.UserHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
}

// The few CBOR items (RFC 8949) attestation objects and COSE keys need.

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	default:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
}

func cborInt(v int) []byte {
	if v < 0 {
		return cborHead(1, uint64(-1-v))
	}
	return cborHead(0, uint64(v))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }
func cborMap(n int) []byte      { return cborHead(5, uint64(n)) }
