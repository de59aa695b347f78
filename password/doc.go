// Package password hashes, verifies and validates Latch users' passwords.
//
// # Hashing
//
// New hashes are argon2id, stored in the PHC string format
//
//	$argon2id$v=19$m=12288,t=3,p=1$<salt>$<key>
//
// where salt and key are standard base64 without padding. [DefaultParams]
// (m=12 MiB, t=3, p=1, a 16-byte salt and a 32-byte key) is one of the
// argon2id configurations OWASP's Password Storage Cheat Sheet recommends,
// rated as strong as its first (m=19 MiB, t=2, Latch's default until
// 2026-12) for less memory. It
// costs about 12 MiB of memory and a few tens of milliseconds of one core per
// hash. That is enough to make offline guessing of a leaked hash expensive,
// because each guess needs the same memory. It is also small enough that a
// server on a few cores can still verify many logins per second without
// running out of memory. A [Hasher] runs at most [Params].MaxConcurrent
// (by default GOMAXPROCS) argon2 computations at once, and the others wait,
// so concurrent logins use at most that many times Memory. Each
// computation runs in one of the Hasher's arenas of Memory KiB, which are
// mapped on first use, outside the Go heap, and reused: a hash allocates
// no memory of its own, and the garbage collector neither scans the arenas
// nor lets them raise its heap goal. (The argon2 code, in internal/argon2,
// is written from RFC 9106, with its compression function in AVX2
// assembly on amd64.)
// OWASP rates its other configurations (more memory with fewer passes, or
// fewer MiB with more passes) as equally strong. A deployment that can spare
// the memory may raise Memory and pass its own [Params] to [NewHasher].
// Hashes made with other parameters (the former default among them) verify
// as they are and ask for a rehash, so they move to the current parameters
// at the user's next login.
//
// Passwords are hashed in their Unicode NFKC form ([Normalize]), as NIST SP
// 800-63B asks, so that the same password typed on another keyboard or
// system (composed or decomposed accents, fullwidth letters) is accepted.
//
// # Verifying and migrating
//
// [Hasher.Verify] also accepts the hashes that a Django (django-allauth)
// database holds: Django's argon2, bcrypt, bcrypt_sha256, pbkdf2_sha256 and
// pbkdf2_sha1 formats, and bare bcrypt ($2a$, $2b$, $2y$). It reports
// needsRehash for all of these and for argon2id hashes made with other
// parameters. The caller should then store a fresh [Hasher.Hash] of the
// password it has just checked, so that users migrate on their next login.
// Verify checks the normalised password first and then, if it differs, the
// password as typed: imported hashes are of the raw bytes, and a raw match
// also asks for a rehash.
// Django's unusable-password markers (empty, or starting with "!") never
// verify.
//
// Verify treats a stored hash as untrusted input. It never panics. It refuses
// costs that would let a crafted hash tie up the server: argon2 memory above
// 4 GiB or more than 100 passes, PBKDF2 above 10,000,000 iterations, and bcrypt
// cost above 18. Such hashes, and malformed or unknown ones, get an error that
// wraps [ErrUnknownHash].
//
// # Validating
//
// [Policy.Validate] applies Django's four default AUTH_PASSWORD_VALIDATORS
// (UserAttributeSimilarityValidator, MinimumLengthValidator,
// CommonPasswordValidator and NumericPasswordValidator). It uses the same
// algorithms, error codes and English messages, so front ends written for
// django-allauth keep working. The common-password list is embedded: the
// 30,000 most common passwords from the zxcvbn project (MIT licence), which
// derives them from Xato's (Mark Burnett's) corpus of 10 million leaked
// passwords. See common-passwords.NOTICE. One rule of Latch's own cannot
// be turned off: a password may not contain U+0000
// ("password_invalid_character").
package password
