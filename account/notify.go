package account

import (
	"context"
	"fmt"
	"time"

	"github.com/latchauth/latch"
)

// Security notifications: mails telling a user that something about their
// account's security changed, so that a takeover does not go unnoticed
// (allauth's ACCOUNT_EMAIL_NOTIFICATIONS; ASVS 6.3.7). They are sent unless
// Config.EmailNotifications is off. Each kind is a mail template kind (see
// package mail); who receives it is decided in recipients.
const (
	noticePasswordChanged = "password_changed"      // to the primary address
	noticePasswordReset   = "password_reset"        // to the primary address
	noticeEmailAdded      = "email_added"           // to the other verified addresses and the primary, not the new one
	noticeEmailRemoved    = "email_removed"         // to the primary and the removed address (if it was verified)
	noticePrimaryChanged  = "primary_email_changed" // to the old primary
	noticeMFAEnabled      = "mfa_enabled"           // to the primary address
	noticeMFADisabled     = "mfa_disabled"          // to the primary address
	// Provider changes (social.go): to the primary address.
	noticeProviderConnected    = "provider_connected"
	noticeProviderDisconnected = "provider_disconnected"
)

// notices lists the notification kinds.
var notices = []string{noticePasswordChanged, noticePasswordReset, noticeEmailAdded, noticeEmailRemoved, noticePrimaryChanged,
	noticeMFAEnabled, noticeMFADisabled, noticeProviderConnected, noticeProviderDisconnected}

// notice is one security notification: its kind and the addresses it is about.
type notice struct {
	kind string
	// address is the address added or removed, or the new primary one.
	address string
	// previous is the old primary address (primary_email_changed).
	previous string
	// factor names the second factor added or removed, in words.
	factor string
	// verified says the removed address had been verified: only then is it
	// told of its removal (an unverified one was never shown to be the
	// account owner's, and mailing it would mail strangers).
	verified bool
	// provider is the provider's name (provider_connected, _disconnected).
	provider string
}

// notify mails a security notification about user's account (default: the
// state's user). It never fails the caller: a problem finding the recipients
// or queuing the mail is logged.
func (s *core) notify(ctx context.Context, st *State, user *latch.User, n notice) {
	if !s.cfg.EmailNotifications {
		return
	}
	if user == nil && st != nil {
		user = st.User
	}
	if user == nil {
		return
	}
	to, err := s.recipients(ctx, user, n)
	if err != nil {
		s.log.Error("notification not sent", "kind", n.kind, "user", user.PublicID, "err", err)
		return
	}
	if len(to) == 0 {
		return
	}
	data := map[string]any{
		"Time":      s.now().UTC().Format(time.RFC1123),
		"ResetLink": s.cfg.Links.RequestReset,
	}
	if st != nil {
		data["IP"], data["UserAgent"] = st.Client.IP, st.Client.UserAgent
	}
	switch n.kind {
	case noticeEmailAdded, noticeEmailRemoved:
		data["Address"] = n.address
	case noticePrimaryChanged:
		data["OldEmail"], data["NewEmail"] = n.previous, n.address
	case noticeMFAEnabled, noticeMFADisabled:
		data["Factor"] = n.factor
	case noticeProviderConnected, noticeProviderDisconnected:
		data["Provider"] = n.provider
	}
	for _, addr := range to {
		s.send(ctx, n.kind, addr, data)
	}
}

// recipients returns the addresses a notification goes to, without repeats.
func (s *core) recipients(ctx context.Context, user *latch.User, n notice) ([]string, error) {
	var to []string
	add := func(addr string) {
		if addr == "" {
			return
		}
		for _, x := range to {
			if x == addr {
				return
			}
		}
		to = append(to, addr)
	}
	switch n.kind {
	case noticePasswordChanged, noticePasswordReset, noticeMFAEnabled, noticeMFADisabled, noticeProviderConnected, noticeProviderDisconnected:
		add(user.Email)
	case noticeEmailAdded:
		list, err := s.emails.EmailAddresses(ctx, user.ID)
		if err != nil {
			return nil, fmt.Errorf("list addresses: %w", err)
		}
		for _, a := range list {
			if a.Email != n.address && (a.Primary || a.Verified) {
				add(a.Email)
			}
		}
	case noticeEmailRemoved:
		add(user.Email)
		if n.verified && n.address != user.Email {
			add(n.address)
		}
	case noticePrimaryChanged:
		if n.previous != n.address {
			add(n.previous)
		}
	default:
		return nil, fmt.Errorf("unknown notification %q", n.kind)
	}
	return to, nil
}
