package account

import (
	"testing"
	"time"
)

// TestHOTPRFC6238 checks the HOTP core against RFC 6238's test vectors
// (appendix B, SHA-1, 8 digits, 30-second steps), and the 6-digit codes
// as their last six digits.
func TestHOTPRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		step := totpStep(time.Unix(tt.unix, 0))
		if got := hotp(secret, uint64(step), 8); got != tt.want {
			t.Errorf("T=%d: %s, want %s", tt.unix, got, tt.want)
		}
		if got := totpCode(secret, step); got != tt.want[2:] {
			t.Errorf("T=%d: 6-digit %s, want %s", tt.unix, got, tt.want[2:])
		}
	}
}

// TestTOTPCheck: a code is accepted for its own step and one either side,
// never further, and never for a step at or before the last one accepted.
func TestTOTPCheck(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1_800_000_015, 0) // in the middle of its step
	cur := totpStep(now)
	for _, tt := range []struct {
		name   string
		step   int64
		last   int64
		accept bool
	}{
		{"current step", cur, 0, true},
		{"previous step", cur - 1, 0, true},
		{"next step", cur + 1, 0, true},
		{"two steps back", cur - 2, 0, false},
		{"two steps ahead", cur + 2, 0, false},
		{"the step last accepted", cur, cur, false},
		{"a step before the last accepted", cur - 1, cur, false},
		{"a step after the last accepted", cur + 1, cur, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := totpCheck(secret, totpCode(secret, tt.step), now, tt.last)
			if ok != tt.accept || (ok && step != tt.step) {
				t.Fatalf("accepted %v at step %d, want %v at %d", ok, step, tt.accept, tt.step)
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := totpCheck(secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestTOTPURL: the otpauth URI carries the issuer twice and the secret in
// base32 without padding.
func TestTOTPURL(t *testing.T) {
	got := totpURL("Acme Inc", "ann@example.com", []byte("12345678901234567890"))
	want := "otpauth://totp/Acme%20Inc:ann@example.com?algorithm=SHA1&digits=6&issuer=Acme+Inc&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if got != want {
		t.Fatalf("%s\nwant %s", got, want)
	}
}

// TestRecoveryCodes: codes are distinct 8-digit strings; each matches only
// while unused.
func TestRecoveryCodes(t *testing.T) {
	key := []byte("k")
	codes := newRecoveryCodes(10)
	d := recoveryData{}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != recoveryDigits || seen[c] {
			t.Fatalf("bad or repeated code %q", c)
		}
		seen[c] = true
		d.Hashes = append(d.Hashes, recoveryHash(key, c))
	}
	if i := d.match(key, codes[3]); i != 3 {
		t.Fatalf("match = %d, want 3", i)
	}
	d.Used = append(d.Used, 3)
	if i := d.match(key, codes[3]); i != -1 {
		t.Fatalf("used code matched at %d", i)
	}
	if i := d.match([]byte("other key"), codes[4]); i != -1 {
		t.Fatal("matched under another key")
	}
}
