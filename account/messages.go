package account

// Error codes and messages, exactly as django-allauth and Django word them, so
// that frontends written for allauth show the same texts.
const (
	msgRequired             = "This field is required."
	msgInvalidEmail         = "Enter a valid email address."
	msgInvalidUsername      = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
	msgMixedScriptUsername  = "Enter a valid username. Its letters must all come from one script (for example, not Latin mixed with Cyrillic)."
	msgInvalidLogin         = "Invalid login."
	msgEmailMismatch        = "The email address and/or password you specified are not correct."
	msgUsernameMismatch     = "The username and/or password you specified are not correct."
	msgTooManyAttempts      = "Too many failed login attempts. Try again later."
	msgEmailTaken           = "A user is already registered with this email address."
	msgUsernameTaken        = "A user with that username already exists."
	msgEnterCurrentPassword = "Please type your current password."
	msgInvalidChoice        = "Select a valid choice. %v is not one of the available choices."
)
