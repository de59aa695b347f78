package latch

// ImportedUser is an account read from another system (a Django
// database), as the importer hands it to the store.
type ImportedUser struct {
	// SourceID is the account's id in the source; a second import of the
	// same id updates the account it created.
	SourceID int64
	// User holds the account's fields; PublicID is used only when the
	// account is created.
	User User
	// Emails are its addresses, at most one primary.
	Emails []EmailAddress
	// Providers are its connected provider accounts (Provider, UID,
	// Email, Created, LastLogin).
	Providers []SocialAccount
}

// ImportOutcome is what became of an ImportedUser.
type ImportOutcome struct {
	Result ImportResult
	// Reason says why a row was skipped.
	Reason string
}

// ImportResult is one of the outcomes of an import.
type ImportResult int

// The outcomes of an import.
const (
	Imported ImportResult = iota + 1
	Updated
	Skipped
)
