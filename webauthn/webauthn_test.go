package webauthn_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/webauthntest"
	"github.com/latchauth/latch/webauthn"
)

const origin = "https://id.example.com"

func newRP(t *testing.T) *webauthn.RelyingParty {
	t.Helper()
	rp, err := webauthn.New(webauthn.Config{RPID: "id.example.com", RPName: "Example", Origins: []string{origin}})
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// register adds a credential of a to u and returns u with it.
func register(t *testing.T, rp *webauthn.RelyingParty, a *webauthntest.Authenticator, u account.WebAuthnUser) account.WebAuthnUser {
	t.Helper()
	opts, state, err := rp.BeginRegistration(u, false)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	id, cred, err := rp.FinishRegistration(u, state, resp)
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	if string(id) != string(a.CredentialID) {
		t.Fatal("credential id")
	}
	u.Credentials = append(u.Credentials, cred)
	return u
}

// TestCeremonies: registration and assertion with a software authenticator
// (real ES256 signatures, CBOR attestation objects) succeed, and each
// broken part is refused with account.ErrWebAuthnRefused: another origin,
// another relying-party id, no user presence, an answer to another
// challenge, a counter that did not increase, malformed JSON.
func TestCeremonies(t *testing.T) {
	rp := newRP(t)
	user := account.WebAuthnUser{Handle: []byte("user-1"), Name: "ann@example.com", DisplayName: "Ann"}
	good := webauthntest.New(origin)
	u := register(t, rp, good, user)

	// Assertion.
	opts, state, err := rp.BeginLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := good.Get(opts)
	id, cred, err := rp.FinishLogin(u, state, resp)
	if err != nil || string(id) != string(good.CredentialID) {
		t.Fatalf("assertion: %v", err)
	}
	u.Credentials[0] = cred

	refusedCreate := map[string]func(a *webauthntest.Authenticator){
		"wrong origin":     func(a *webauthntest.Authenticator) { a.Origin = "https://evil.example.com" },
		"wrong rp id":      func(a *webauthntest.Authenticator) { a.RPID = "evil.example.com" },
		"no user presence": func(a *webauthntest.Authenticator) { a.NoUserPresence = true },
	}
	for name, breakIt := range refusedCreate {
		t.Run("create/"+name, func(t *testing.T) {
			a := webauthntest.New(origin)
			breakIt(a)
			opts, state, _ := rp.BeginRegistration(user, false)
			resp, _ := a.Create(opts)
			if _, _, err := rp.FinishRegistration(user, state, resp); !errors.Is(err, account.ErrWebAuthnRefused) {
				t.Fatalf("%v, want refused", err)
			}
		})
		t.Run("get/"+name, func(t *testing.T) {
			opts, state, _ := rp.BeginLogin(u)
			breakIt(good)
			defer func() { good.Origin, good.RPID, good.NoUserPresence = origin, "", false }()
			resp, _ := good.Get(opts)
			if _, _, err := rp.FinishLogin(u, state, resp); !errors.Is(err, account.ErrWebAuthnRefused) {
				t.Fatalf("%v, want refused", err)
			}
		})
	}
	t.Run("get/another challenge", func(t *testing.T) {
		opts, _, _ := rp.BeginLogin(u)
		_, state, _ := rp.BeginLogin(u)
		resp, _ := good.Get(opts)
		if _, _, err := rp.FinishLogin(u, state, resp); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Fatalf("%v, want refused", err)
		}
	})
	t.Run("get/counter not increased", func(t *testing.T) {
		// The stored counter is 1 (the first assertion's): answer with it again.
		good.FreezeCounter, good.Counter = true, 1
		defer func() { good.FreezeCounter = false }()
		opts, state, _ := rp.BeginLogin(u)
		resp, _ := good.Get(opts)
		if _, _, err := rp.FinishLogin(u, state, resp); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Fatalf("%v, want refused", err)
		}
	})
	t.Run("get/another user's credential", func(t *testing.T) {
		other := register(t, rp, webauthntest.New(origin), account.WebAuthnUser{Handle: []byte("user-2"), Name: "bob"})
		opts, state, _ := rp.BeginLogin(other)
		resp, _ := good.Get(opts) // ann's key answering for bob
		if _, _, err := rp.FinishLogin(other, state, resp); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Fatalf("%v, want refused", err)
		}
	})
	for _, bad := range []string{"", "{", "[]", `{"id":1}`, `{"type":"public-key","response":{"clientDataJSON":"!!"}}`, strings.Repeat("[", 10000)} {
		_, state, _ := rp.BeginLogin(u)
		if _, _, err := rp.FinishLogin(u, state, []byte(bad)); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Errorf("malformed %.20q: %v, want refused", bad, err)
		}
		_, state, _ = rp.BeginRegistration(user, false)
		if _, _, err := rp.FinishRegistration(user, state, []byte(bad)); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Errorf("malformed %.20q: %v, want refused", bad, err)
		}
	}
}

// TestHostileCBOR: attestation objects and authenticator data that are
// deeply nested, declare huge lengths or are truncated are refused as
// responses, without a panic.
func TestHostileCBOR(t *testing.T) {
	rp := newRP(t)
	user := account.WebAuthnUser{Handle: []byte("user-1"), Name: "ann"}
	_, state, err := rp.BeginRegistration(user, false)
	if err != nil {
		t.Fatal(err)
	}
	nested := bytes.Repeat([]byte{0x81}, 100000)                                                    // an array in an array in …
	huge := []byte{0xa1, 0x63, 'f', 'm', 't', 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // a 2^64-byte string
	truncated := []byte{0xa3, 0x63, 'f', 'm', 't'}
	client := base64.RawURLEncoding.EncodeToString([]byte(`{"type":"webauthn.create","challenge":"x","origin":"` + origin + `"}`))
	for name, att := range map[string][]byte{"nested": nested, "huge": huge, "truncated": truncated} {
		body, _ := json.Marshal(map[string]any{"id": "AAAA", "rawId": "AAAA", "type": "public-key",
			"response": map[string]any{"clientDataJSON": client, "attestationObject": base64.RawURLEncoding.EncodeToString(att)}})
		if _, _, err := rp.FinishRegistration(user, state, body); !errors.Is(err, account.ErrWebAuthnRefused) {
			t.Errorf("%s attestation object: %v, want refused", name, err)
		}
	}
}
