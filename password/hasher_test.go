package password

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const horse = "correct horse battery staple"

// Known hashes. Unless noted, they were made by Django 3.2's own hashers (with
// argon2-cffi and pyca bcrypt) through make_password-equivalent encode calls,
// at low cost so that the tests stay fast.
const (
	// hashlib.pbkdf2_hmac('sha256', b'password', b'salt', 1000), base64.
	djangoPBKDF2SHA256        = "pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM="
	djangoPBKDF2SHA256Unicode = "pbkdf2_sha256$1200$Xy7salt$I4w2HnaR5GE8FzdfepTrAnvzNYF5V+1PELGREKqOq40="
	djangoPBKDF2SHA1          = "pbkdf2_sha1$1000$salt$boi+i61+rp2eEKoGEiQDT+1I0D8="
	// Argon2PasswordHasher with time_cost=1, memory_cost=64, parallelism=1.
	djangoArgon2 = "argon2$argon2id$v=19$m=64,t=1,p=1$aXRGYTZzWUdzUGNpNXFnbG45UElQRg$TkNRUKXyDReS4eU0cCyriQ"
	// Argon2PasswordHasher with time_cost=2, memory_cost=128, parallelism=2.
	djangoArgon2Unicode = "argon2$argon2id$v=19$m=128,t=2,p=2$NzV0aUNEaGJkQmJWUm55ckQ0d2RIZA$zWNRlOVnr+jowJW2wrN7/A"
	// Django 1.10-era argon2i, made with argon2-cffi directly.
	djangoArgon2i = "argon2$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHRzYWx0$bQKunsbzXUqkl3UMyOvRSlxx+7Aa3QLuKd93Ugw+dGA"
	// BCryptPasswordHasher and BCryptSHA256PasswordHasher with rounds=4.
	djangoBcrypt           = "bcrypt$$2b$04$xS83SlY.F5KI6hdwh2NzRus3D2iBN/JitA9bfY6/pNCV6Cogsmouq"
	djangoBcryptLong       = "bcrypt$$2b$04$7Tb18q2We1.ILW7jFzHAIOIJdYzmQQOgE0MTNw16Oof0025hWfhtm" // "x" * 100
	djangoBcryptSHA256     = "bcrypt_sha256$$2b$04$UhnExgIXNFNu.qw8ExNn2uSlhnI23Q9TGw2yopP3xxg9Kutw9OczC"
	djangoBcryptSHA256Long = "bcrypt_sha256$$2b$04$wGhTihnnMDuamHyqzR8U0ODr7grLLN9/Y7R/aDHeQIlC7vD4IE7De" // "y" * 100
	djangoUnusable         = "!vfDsXl0tdstpdbG9Kw70TUD1UxVlPFSuCHRlbSTa"
	unicodePassword        = "pässwörd🔑"
)

// Hashes of horse with salt 00 01 .. 0f, 32-byte key: argon2-cffi's
// hash_secret with TestParams and with the former default (m=19456, t=2),
// and golang.org/x/crypto/argon2's IDKey with DefaultParams (x/crypto gives
// argon2-cffi's answer for the former default too).
const (
	phcTestParams    = "$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog"
	phcFormerDefault = "$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$gYJZtjEAJqjg26xdLmknq8/bB7MiWPrE9hsYuA+SkIU"
	phcDefaultParams = "$argon2id$v=19$m=12288,t=3,p=1$AAECAwQFBgcICQoLDA0ODw$zCibVAF529as+ScNsZ6sL/H9D4iI00ajMEqLvRaQY2E"
)

func newTestHasher(t testing.TB) *Hasher {
	t.Helper()
	h := NewHasher(TestParams)
	if h.dummy == "" {
		t.Fatal("NewHasher(TestParams) made no dummy hash")
	}
	return h
}

func TestParamsValid(t *testing.T) {
	for name, p := range map[string]Params{"DefaultParams": DefaultParams, "TestParams": TestParams} {
		if err := p.check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	want := Params{Memory: 12288, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}
	if DefaultParams != want {
		t.Errorf("DefaultParams = %+v, want OWASP's %+v", DefaultParams, want)
	}
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashRoundTrip(t *testing.T) {
	h := newTestHasher(t)
	for _, plain := range []string{
		"",
		"password",
		horse,
		unicodePassword,
		strings.Repeat("long", 300),
		"nul\x00byte",
		"\xff\xfeinvalid utf-8",
	} {
		encoded, err := h.Hash(plain)
		if err != nil {
			t.Fatalf("Hash(%q): %v", plain, err)
		}
		if !phcRE.MatchString(encoded) {
			t.Errorf("Hash(%q) = %q, not PHC argon2id with TestParams", plain, encoded)
		}
		ok, rehash, err := h.Verify(encoded, plain)
		if !ok || rehash || err != nil {
			t.Errorf("Verify(Hash(%q), same) = %v, %v, %v; want true, false, nil", plain, ok, rehash, err)
		}
		ok, rehash, err = h.Verify(encoded, plain+"x")
		if ok || rehash || err != nil {
			t.Errorf("Verify(Hash(%q), wrong) = %v, %v, %v; want false, false, nil", plain, ok, rehash, err)
		}
		again, _ := h.Hash(plain)
		if again == encoded {
			t.Errorf("two hashes of %q are equal: salt not random", plain)
		}
	}
}

func TestHashDefaultParams(t *testing.T) {
	h := NewHasher(DefaultParams)
	encoded, err := h.Hash(horse)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=12288,t=3,p=1$") {
		t.Errorf("Hash = %q, want DefaultParams prefix", encoded)
	}
	// A hash made by x/crypto's argon2 with the same parameters.
	ok, rehash, err := h.Verify(phcDefaultParams, horse)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(x/crypto hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	// One made by the argon2 reference implementation (via argon2-cffi)
	// with the former default verifies, and asks to move to the current one.
	ok, rehash, err = h.Verify(phcFormerDefault, horse)
	if !ok || !rehash || err != nil {
		t.Errorf("Verify(former default) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestNeedsRehashOtherParams(t *testing.T) {
	old := newTestHasher(t)
	encoded, err := old.Hash(horse)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]Params{
		"memory":  {Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time":    {Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		"threads": {Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		"salt":    {Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		"key":     {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		t.Run(name, func(t *testing.T) {
			h := NewHasher(p)
			ok, rehash, err := h.Verify(encoded, horse)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			ok, rehash, err = h.Verify(encoded, "wrong")
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func mustBcrypt(t *testing.T, plain string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyKnownHashes(t *testing.T) {
	h := newTestHasher(t)
	bcrypt2a := mustBcrypt(t, horse) // x/crypto writes $2a$.
	if !strings.HasPrefix(bcrypt2a, "$2a$04$") {
		t.Fatalf("bcrypt hash %q, want $2a$04$ prefix", bcrypt2a)
	}
	// $2a$, $2b$ and $2y$ compute the same thing for ASCII passwords of
	// fewer than 255 bytes; only the label differs.
	bcrypt2b := "$2b$" + bcrypt2a[4:]
	bcrypt2y := "$2y$" + bcrypt2a[4:]
	long := strings.Repeat("x", 100)
	longY := strings.Repeat("y", 100)

	tests := []struct {
		name, encoded, plain string
		ok, rehash           bool
	}{
		{"our argon2id, our params", phcTestParams, horse, true, false},
		{"our argon2id, wrong password", phcTestParams, "Correct horse battery staple", false, false},
		{"our argon2id, other params", strings.TrimPrefix(djangoArgon2, "argon2"), horse, true, true},
		{"django argon2id", djangoArgon2, horse, true, true},
		{"django argon2id, wrong password", djangoArgon2, horse + " ", false, false},
		{"django argon2id, unicode, p=2", djangoArgon2Unicode, unicodePassword, true, true},
		{"django argon2id, unicode, NFD", djangoArgon2Unicode, "pa\u0308sswo\u0308rd🔑", true, true}, // normalised to the NFC it was made from
		{"django argon2i", djangoArgon2i, horse, true, true},
		{"django argon2i, wrong password", djangoArgon2i, "horse", false, false},
		{"bcrypt $2a$", bcrypt2a, horse, true, true},
		{"bcrypt $2b$", bcrypt2b, horse, true, true},
		{"bcrypt $2y$", bcrypt2y, horse, true, true},
		{"bcrypt, wrong password", bcrypt2a, "correct horse battery stapl", false, false},
		{"django bcrypt", djangoBcrypt, horse, true, true},
		{"django bcrypt, wrong password", djangoBcrypt, "", false, false},
		{"django bcrypt, 100 bytes", djangoBcryptLong, long, true, true},
		{"django bcrypt, truncated at 72 bytes", djangoBcryptLong, long[:72], true, true},
		{"django bcrypt, 71 bytes", djangoBcryptLong, long[:71], false, false},
		{"django bcrypt_sha256", djangoBcryptSHA256, horse, true, true},
		{"django bcrypt_sha256, wrong password", djangoBcryptSHA256, "Correct Horse Battery Staple", false, false},
		{"django bcrypt_sha256, not plain bcrypt", "bcrypt$" + djangoBcryptSHA256[len("bcrypt_sha256$"):], horse, false, false},
		{"django bcrypt_sha256, 100 bytes", djangoBcryptSHA256Long, longY, true, true},
		{"django bcrypt_sha256, no truncation", djangoBcryptSHA256Long, longY[:72], false, false},
		{"django pbkdf2_sha256", djangoPBKDF2SHA256, "password", true, true},
		{"django pbkdf2_sha256, wrong password", djangoPBKDF2SHA256, "Password", false, false},
		{"django pbkdf2_sha256, unicode", djangoPBKDF2SHA256Unicode, unicodePassword, true, true},
		{"django pbkdf2_sha256, other iterations", strings.Replace(djangoPBKDF2SHA256, "$1000$", "$1001$", 1), "password", false, false},
		{"django pbkdf2_sha256, other salt", strings.Replace(djangoPBKDF2SHA256, "$salt$", "$Salt$", 1), "password", false, false},
		{"django pbkdf2_sha1", djangoPBKDF2SHA1, "password", true, true},
		{"django pbkdf2_sha1, wrong password", djangoPBKDF2SHA1, "passwore", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(tt.encoded, tt.plain)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tt.ok || rehash != tt.rehash {
				t.Errorf("Verify = %v, %v; want %v, %v", ok, rehash, tt.ok, tt.rehash)
			}
		})
	}
}

func TestVerifyUnusable(t *testing.T) {
	h := newTestHasher(t)
	for _, encoded := range []string{"", "!", djangoUnusable, Unusable(), "!" + phcTestParams} {
		for _, plain := range []string{"", "!", encoded, horse} {
			ok, rehash, err := h.Verify(encoded, plain)
			if ok || rehash || err != nil {
				t.Errorf("Verify(%q, %q) = %v, %v, %v; want false, false, nil", encoded, plain, ok, rehash, err)
			}
		}
	}
}

// bcryptBody is 53 valid bcrypt-base64 characters (salt and hash).
const bcryptBody = "xS83SlY.F5KI6hdwh2NzRus3D2iBN/JitA9bfY6/pNCV6Cogsmouq"

// b64Key32 is padded standard base64 of 32 bytes.
const b64Key32 = "YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM="

var malformedHashes = []string{
	// No or unknown algorithm.
	"x",
	"$",
	"$$",
	"password",
	"md5$salt$1dc4b1b0e6bce0a6b6c1b0fd4bb1d1f5",
	"sha1$salt$5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
	"unsalted_md5$5f4dcc3b5aa765d61d8327deb882cf99",
	"crypt$$abN/qM.L/H8EQ",
	"scrypt$16384$salt$8$1$" + b64Key32,
	"PBKDF2_SHA256$1000$salt$" + b64Key32,
	"{SSHA}abcdef",
	// PHC argon2.
	"$argon2",
	"$argon2id",
	"$argon2id$",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$",
	"$argon2id$v=19$m=64,t=1,p=1$$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog$",
	"$argon2d$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2ID$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=16$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$t=1,m=64,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=1,k=2$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=-64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=+64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=0,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=0$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=4096,t=1,p=256$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=15,t=1,p=2$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=4294967296,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw==$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0OD!$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBg$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",              // 7-byte salt
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxd",                                         // 3-byte key
	"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog=", // padded
	// Django argon2.
	"argon2$",
	"argon2$argon2id",
	"argon2$$argon2id$v=19$m=64,t=1,p=1$aXRGYTZzWUdzUGNpNXFnbG45UElQRg$TkNRUKXyDReS4eU0cCyriQ",
	"argon2$argon2id$v=19$m=64,t=1,p=1$aXRGYTZzWUdzUGNpNXFnbG45UElQRg",
	// bcrypt.
	"$2",
	"$2a$",
	"$2a$04$",
	"$2a$04$" + bcryptBody[:52],
	"$2a$04$" + bcryptBody + "q",
	"$2$04$" + bcryptBody + "q",
	"$2x$04$" + bcryptBody,
	"$2c$04$" + bcryptBody,
	"$3a$04$" + bcryptBody,
	"$2a$4$" + bcryptBody + "q",
	"$2a$0a$" + bcryptBody,
	"$2a$-4$" + bcryptBody,
	"$2a$03$" + bcryptBody,
	"$2a$32$" + bcryptBody,
	"$2a$99$" + bcryptBody,
	"$2a$04$" + bcryptBody[:52] + "*",
	"$2a$04$" + bcryptBody[:52] + "=",
	"$2a$04x" + bcryptBody,
	"bcrypt$",
	"bcrypt$2b$04$" + bcryptBody,
	"bcrypt$$2b$04$" + bcryptBody + "$",
	"bcrypt_sha256$",
	"bcrypt_sha256$garbage",
	// PBKDF2.
	"pbkdf2_sha256$",
	"pbkdf2_sha256$1000",
	"pbkdf2_sha256$1000$salt",
	"pbkdf2_sha256$1000$salt$" + b64Key32 + "$",
	"pbkdf2_sha256$$salt$" + b64Key32,
	"pbkdf2_sha256$abc$salt$" + b64Key32,
	"pbkdf2_sha256$0$salt$" + b64Key32,
	"pbkdf2_sha256$-1000$salt$" + b64Key32,
	"pbkdf2_sha256$+1000$salt$" + b64Key32,
	"pbkdf2_sha256$1e3$salt$" + b64Key32,
	"pbkdf2_sha256$99999999999999999999999$salt$" + b64Key32,
	"pbkdf2_sha256$1000$$" + b64Key32,
	"pbkdf2_sha256$1000$salt$",
	"pbkdf2_sha256$1000$salt$!!!!",
	"pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM",  // unpadded
	"pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS-BKPYma0oDJk0qBGC33LM=", // URL alphabet
	"pbkdf2_sha256$1000$salt$boi+i61+rp2eEKoGEiQDT+1I0D8=",                 // 20-byte key
	"pbkdf2_sha1$1000$salt$" + b64Key32,                                    // 32-byte key
	"pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LN=", // non-zero padding bits
}

func TestVerifyMalformed(t *testing.T) {
	h := newTestHasher(t)
	for _, encoded := range malformedHashes {
		ok, rehash, err := h.Verify(encoded, "password")
		if !errors.Is(err, ErrUnknownHash) {
			t.Errorf("Verify(%q) error = %v, want ErrUnknownHash", encoded, err)
		}
		if ok || rehash {
			t.Errorf("Verify(%q) = %v, %v; want false, false", encoded, ok, rehash)
		}
		if err != nil && len(encoded) > 12 && strings.Contains(err.Error(), encoded) {
			t.Errorf("Verify(%q) error %q echoes the hash", encoded, err)
		}
	}
}

// TestVerifySafetyLimits checks that hashes whose cost is above the limits
// are refused before any work is done. If they were not, this test would take
// minutes and gigabytes.
func TestVerifySafetyLimits(t *testing.T) {
	h := newTestHasher(t)
	for _, encoded := range []string{
		"$argon2id$v=19$m=4194305,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
		"$argon2id$v=19$m=64,t=101,p=1$AAECAwQFBgcICQoLDA0ODw$ktxdZwGWI4aL3geSdeUi9LfoIT00FO2Fy8KsikERcog",
		"argon2$argon2id$v=19$m=8388608,t=2,p=1$aXRGYTZzWUdzUGNpNXFnbG45UElQRg$TkNRUKXyDReS4eU0cCyriQ",
		"pbkdf2_sha256$10000001$salt$" + b64Key32,
		"pbkdf2_sha256$2147483647$salt$" + b64Key32,
		"pbkdf2_sha1$10000001$salt$boi+i61+rp2eEKoGEiQDT+1I0D8=",
		"$2b$19$" + bcryptBody,
		"$2b$31$" + bcryptBody,
		"bcrypt$$2b$25$" + bcryptBody,
		"bcrypt_sha256$$2b$31$" + bcryptBody,
	} {
		ok, rehash, err := h.Verify(encoded, "password")
		if !errors.Is(err, ErrUnknownHash) || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrUnknownHash", encoded, ok, rehash, err)
		}
	}
}

func TestInvalidParams(t *testing.T) {
	for name, p := range map[string]Params{
		"zero":          {},
		"no threads":    {Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		"no time":       {Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time too high": {Memory: 64, Time: 101, Threads: 1, SaltLen: 16, KeyLen: 32},
		"memory < 8p":   {Memory: 31, Time: 1, Threads: 4, SaltLen: 16, KeyLen: 32},
		"memory > 4GiB": {Memory: 4<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"short salt":    {Memory: 64, Time: 1, Threads: 1, SaltLen: 7, KeyLen: 32},
		"long salt":     {Memory: 64, Time: 1, Threads: 1, SaltLen: 1025, KeyLen: 32},
		"short key":     {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 3},
		"long key":      {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 1025},
	} {
		t.Run(name, func(t *testing.T) {
			h := NewHasher(p)
			if encoded, err := h.Hash(horse); err == nil {
				t.Errorf("Hash = %q, nil; want an error", encoded)
			}
			h.VerifyDummy(horse) // must not panic
			// Verifying stored hashes still works, and asks for a rehash.
			ok, rehash, err := h.Verify(phcTestParams, horse)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
		})
	}
	var zero Hasher
	zero.VerifyDummy(horse)
	if _, err := zero.Hash(horse); err == nil {
		t.Error("zero Hasher: Hash succeeded")
	}
}

func TestVerifyDummy(t *testing.T) {
	h := newTestHasher(t)
	if !phcRE.MatchString(h.dummy) {
		t.Fatalf("dummy %q is not a hash with the Hasher's params", h.dummy)
	}
	// The dummy must go through the full argon2 path: it parses, and no
	// guessable password matches it.
	for _, plain := range []string{"", "password", h.dummy} {
		ok, rehash, err := h.Verify(h.dummy, plain)
		if ok || rehash || err != nil {
			t.Errorf("Verify(dummy, %q) = %v, %v, %v; want false, false, nil", plain, ok, rehash, err)
		}
		h.VerifyDummy(plain)
	}
}

var unusableRE = regexp.MustCompile(`^![A-Za-z0-9]{40}$`)

func TestUnusable(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		u := Unusable()
		if !unusableRE.MatchString(u) {
			t.Fatalf("Unusable() = %q, want ! and 40 letters or digits", u)
		}
		if IsUsable(u) {
			t.Errorf("IsUsable(%q) = true", u)
		}
		if seen[u] {
			t.Errorf("Unusable() repeated %q", u)
		}
		seen[u] = true
	}
}

func TestIsUsable(t *testing.T) {
	tests := []struct {
		encoded string
		want    bool
	}{
		{"", false},
		{"!", false},
		{djangoUnusable, false},
		{"!" + phcTestParams, false},
		{phcTestParams, true},
		{djangoPBKDF2SHA256, true},
		{djangoBcrypt, true},
		{"garbage", true}, // usable, but Verify rejects it
		{" !", true},
	}
	for _, tt := range tests {
		if got := IsUsable(tt.encoded); got != tt.want {
			t.Errorf("IsUsable(%q) = %v, want %v", tt.encoded, got, tt.want)
		}
	}
}

// FuzzVerify checks that no stored hash, however malformed, makes Verify
// panic. It also checks that every error wraps ErrUnknownHash, and that
// needsRehash is never set without ok. The fuzzer's Hasher has lowered
// safety limits so that it stays fast.
func FuzzVerify(f *testing.F) {
	seeds := []string{
		"", "!", djangoUnusable, phcTestParams, phcDefaultParams,
		djangoArgon2, djangoArgon2Unicode, djangoArgon2i,
		djangoBcrypt, djangoBcryptLong, djangoBcryptSHA256, djangoBcryptSHA256Long,
		"$2a$04$" + bcryptBody, "$2y$04$" + bcryptBody,
		djangoPBKDF2SHA256, djangoPBKDF2SHA256Unicode, djangoPBKDF2SHA1,
	}
	seeds = append(seeds, malformedHashes...)
	for _, s := range seeds {
		f.Add(s, horse)
		f.Add(s, "password")
	}
	h := NewHasher(TestParams)
	h.limits = limits{argon2Memory: 1024, argon2Time: 4, pbkdf2Iter: 20_000, bcryptCost: 6}
	f.Fuzz(func(t *testing.T, encoded, plain string) {
		ok, rehash, err := h.Verify(encoded, plain)
		if err != nil && !errors.Is(err, ErrUnknownHash) {
			t.Errorf("Verify(%q, %q) error %v does not wrap ErrUnknownHash", encoded, plain, err)
		}
		if err != nil && (ok || rehash) {
			t.Errorf("Verify(%q, %q) = %v, %v with error %v", encoded, plain, ok, rehash, err)
		}
		if rehash && !ok {
			t.Errorf("Verify(%q, %q): needsRehash without ok", encoded, plain)
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(horse); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := NewHasher(DefaultParams)
	encoded, err := h.Hash(horse)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(encoded, horse); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestMaxConcurrent runs 8 argon2 calls of every kind (Hash, Verify of our
// format and of Django's, VerifyDummy) on a Hasher limited to 2, and checks
// that no more than 2 computations ran at once and that results are right.
func TestMaxConcurrent(t *testing.T) {
	p := TestParams
	p.MaxConcurrent = 2
	h := NewHasher(p)
	own, err := h.Hash(horse)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak, calls atomic.Int32
	h.slotHook = func() {
		n := running.Add(1)
		for old := peak.Load(); n > old && !peak.CompareAndSwap(old, n); old = peak.Load() {
		}
		calls.Add(1)
		time.Sleep(20 * time.Millisecond) // long enough for others to pile up
		running.Add(-1)
	}

	kinds := []func() error{
		func() error {
			enc, err := h.Hash(horse)
			if err != nil {
				return err
			}
			if ok, _, err := h.Verify(enc, horse); !ok || err != nil { // a second slot use
				return fmt.Errorf("Verify(Hash(horse), horse) = %v, %v", ok, err)
			}
			return nil
		},
		func() error {
			if ok, rehash, err := h.Verify(own, horse); !ok || rehash || err != nil {
				return fmt.Errorf("Verify(own) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			return nil
		},
		func() error {
			if ok, _, err := h.Verify(own, "wrong"); ok || err != nil {
				return fmt.Errorf("Verify(own, wrong) = %v, %v; want false, nil", ok, err)
			}
			return nil
		},
		func() error {
			if ok, rehash, err := h.Verify(djangoArgon2, horse); !ok || !rehash || err != nil {
				return fmt.Errorf("Verify(djangoArgon2) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			return nil
		},
		func() error { h.VerifyDummy(horse); return nil },
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = kinds[i%len(kinds)]() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := peak.Load(); got != 2 {
		t.Errorf("up to %d argon2 computations ran at once, want exactly 2 at peak", got)
	}
	if got := calls.Load(); got < n {
		t.Errorf("%d argon2 computations went through the limit, want at least %d", got, n)
	}
	if got := len(h.arenas); got > 2 {
		t.Errorf("%d arenas kept, want at most MaxConcurrent = 2", got)
	}
}

func TestMaxConcurrentDefault(t *testing.T) {
	if got, want := cap(NewHasher(TestParams).slots), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("default limit %d, want GOMAXPROCS %d", got, want)
	}
	p := TestParams
	p.MaxConcurrent = -1
	if _, err := NewHasher(p).Hash(horse); err == nil {
		t.Error("Hash with MaxConcurrent -1 succeeded")
	}
	// The limit is not part of the hash: no rehash for it.
	p.MaxConcurrent = 3
	if ok, rehash, err := NewHasher(p).Verify(phcTestParams, horse); !ok || rehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

// TestArenasPooled checks that the Hasher keeps at most MaxConcurrent arenas
// of its own Memory, that a stored hash asking for more memory than that
// verifies without replacing them, and that results on reused (dirty)
// arenas stay right.
func TestArenasPooled(t *testing.T) {
	p := TestParams
	p.MaxConcurrent = 2
	h := NewHasher(p)
	for range 3 {
		if ok, rehash, err := h.Verify(phcTestParams, horse); !ok || rehash || err != nil {
			t.Fatalf("Verify(phcTestParams) = %v, %v, %v", ok, rehash, err)
		}
	}
	if ok, rehash, err := h.Verify(djangoArgon2Unicode, unicodePassword); !ok || !rehash || err != nil {
		t.Fatalf("Verify(djangoArgon2Unicode) = %v, %v, %v; want m=128 > 64 to verify", ok, rehash, err)
	}
	made := len(h.arenas)
	for _, a := range h.arenas {
		if a.KiB() != p.Memory {
			t.Errorf("pooled arena of %d KiB, want the Hasher's %d", a.KiB(), p.Memory)
		}
	}
	// NewHasher's dummy hash and the sequential Verify calls share one.
	if made != 1 {
		t.Errorf("%d arenas made, want 1", made)
	}
}

// TestArenasReleasedWhenIdle: the pooled arenas are unmapped once no
// computation has finished for the idle time, and hashing works after.
func TestArenasReleasedWhenIdle(t *testing.T) {
	p := TestParams
	p.MaxConcurrent = 2
	h := NewHasher(p)
	h.mu.Lock()
	h.arenaIdle = 20 * time.Millisecond
	h.mu.Unlock()
	enc, err := h.Hash(horse)
	if err != nil {
		t.Fatal(err)
	}
	pooled := func() int {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.arenas)
	}
	if pooled() == 0 {
		t.Fatal("no arena kept after a hash")
	}
	deadline := time.Now().Add(5 * time.Second)
	for pooled() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("arenas never released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ok, _, err := h.Verify(enc, horse); !ok || err != nil {
		t.Fatalf("Verify after the release: %v %v", ok, err)
	}
}

// TestArenaMemoryReported: OnArenaMemory hears the arena memory mapped
// after every change: the pooled arena of NewHasher's dummy hash, an arena
// of its own for a stored hash above the Params and its unmapping, and the
// pool's release when idle.
func TestArenaMemoryReported(t *testing.T) {
	p := TestParams
	p.MaxConcurrent = 2
	var mu sync.Mutex
	var got []int64
	h := NewHasher(p, nil, OnArenaMemory(func(bytes int64) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, bytes)
	}))
	// Within the default idle time of the dummy hash's arena.
	if ok, _, err := h.Verify(djangoArgon2Unicode, unicodePassword); !ok || err != nil {
		t.Fatalf("Verify(djangoArgon2Unicode) = %v, %v", ok, err)
	}
	h.mu.Lock()
	h.arenaIdle = 20 * time.Millisecond
	h.mu.Unlock()
	if ok, _, err := h.Verify(phcTestParams, horse); !ok || err != nil { // restarts the idle timer
		t.Fatalf("Verify(phcTestParams) = %v, %v", ok, err)
	}
	own := int64(p.Memory) << 10
	want := []int64{own, own + 128<<10, own, 0}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := len(got) >= len(want)
		seen := slices.Clone(got)
		mu.Unlock()
		if done {
			if !slices.Equal(seen, want) {
				t.Errorf("arena memory reported %v, want %v", seen, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("arena memory reported %v, want %v (the pool never released?)", seen, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
