package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

// countingStore is a *sqlstore.DB that counts the account core's calls, so
// that the micro-benchmarks can report how many reads and writes a hot path
// makes. Each call is one SQL statement, or one short transaction for
// CreateUser, UseRefreshToken and TakeToken.
type countingStore struct {
	*sqlstore.DB
	reads, writes atomic.Int64
}

// InUnitOfWork is not a store call: it asks the context.
func (c *countingStore) InUnitOfWork(ctx context.Context) bool {
	return c.DB.Sessions.InUnitOfWork(ctx)
}

func (c *countingStore) SetActive(ctx context.Context, userID int64, active bool, at time.Time) error {
	c.w()
	return c.DB.Users.SetActive(ctx, userID, active, at)
}

func (c *countingStore) r() { c.reads.Add(1) }
func (c *countingStore) w() { c.writes.Add(1) }

func (c *countingStore) CreateUser(ctx context.Context, u *latch.User, emails []latch.EmailAddress) error {
	c.w()
	return c.DB.Users.CreateUser(ctx, u, emails)
}
func (c *countingStore) UserByEmail(ctx context.Context, email string) (*latch.User, error) {
	c.r()
	return c.DB.Users.UserByEmail(ctx, email)
}
func (c *countingStore) UserByUsername(ctx context.Context, username string) (*latch.User, error) {
	c.r()
	return c.DB.Users.UserByUsername(ctx, username)
}
func (c *countingStore) SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error {
	c.w()
	return c.DB.Users.SetPassword(ctx, userID, hash, at)
}
func (c *countingStore) SetLastLogin(ctx context.Context, userID int64, at time.Time) error {
	c.w()
	return c.DB.Users.SetLastLogin(ctx, userID, at)
}
func (c *countingStore) UserByID(ctx context.Context, id int64) (*latch.User, error) {
	c.r()
	return c.DB.Users.UserByID(ctx, id)
}
func (c *countingStore) EmailAddresses(ctx context.Context, userID int64) ([]latch.EmailAddress, error) {
	c.r()
	return c.DB.Emails.EmailAddresses(ctx, userID)
}
func (c *countingStore) AddEmail(ctx context.Context, e *latch.EmailAddress) error {
	c.w()
	return c.DB.Emails.AddEmail(ctx, e)
}
func (c *countingStore) SetEmailVerified(ctx context.Context, userID int64, email string) error {
	c.w()
	return c.DB.Emails.SetEmailVerified(ctx, userID, email)
}
func (c *countingStore) SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) error {
	c.w()
	return c.DB.Emails.SetPrimaryEmail(ctx, userID, email, at)
}
func (c *countingStore) DeleteEmail(ctx context.Context, userID int64, email string) error {
	c.w()
	return c.DB.Emails.DeleteEmail(ctx, userID, email)
}
func (c *countingStore) CreateToken(ctx context.Context, t *latch.Token) error {
	c.w()
	return c.DB.Tokens.CreateToken(ctx, t)
}
func (c *countingStore) TokenByHash(ctx context.Context, kind string, hash []byte) (*latch.Token, error) {
	c.r()
	return c.DB.Tokens.TokenByHash(ctx, kind, hash)
}
func (c *countingStore) TakeToken(ctx context.Context, kind string, hash []byte) (*latch.Token, error) {
	c.w()
	return c.DB.Tokens.TakeToken(ctx, kind, hash)
}
func (c *countingStore) DeleteUserTokens(ctx context.Context, userID int64, kind string) error {
	c.w()
	return c.DB.Tokens.DeleteUserTokens(ctx, userID, kind)
}
func (c *countingStore) CreateSession(ctx context.Context, s *latch.Session) error {
	c.w()
	return c.DB.Sessions.CreateSession(ctx, s)
}
func (c *countingStore) StartSession(ctx context.Context, s *latch.Session, replaces int64, refresh *latch.RefreshToken) error {
	c.w()
	return c.DB.Sessions.StartSession(ctx, s, replaces, refresh)
}
func (c *countingStore) SessionByKey(ctx context.Context, keyHash []byte) (*latch.Session, *latch.User, error) {
	c.r()
	return c.DB.Sessions.SessionByKey(ctx, keyHash)
}
func (c *countingStore) UpdateSession(ctx context.Context, s *latch.Session) error {
	c.w()
	return c.DB.Sessions.UpdateSession(ctx, s)
}
func (c *countingStore) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error {
	c.w()
	return c.DB.Sessions.TouchSession(ctx, id, lastSeen, expires)
}
func (c *countingStore) DeleteSession(ctx context.Context, id int64) error {
	c.w()
	return c.DB.Sessions.DeleteSession(ctx, id)
}
func (c *countingStore) DeleteUserSessions(ctx context.Context, userID, except int64) error {
	c.w()
	return c.DB.Sessions.DeleteUserSessions(ctx, userID, except)
}
func (c *countingStore) UserSessions(ctx context.Context, userID int64, now time.Time) ([]latch.SessionInfo, error) {
	c.r()
	return c.DB.Sessions.UserSessions(ctx, userID, now)
}
func (c *countingStore) AddRefreshToken(ctx context.Context, t *latch.RefreshToken) error {
	c.w()
	return c.DB.Refresh.AddRefreshToken(ctx, t)
}
func (c *countingStore) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (*latch.RefreshToken, error) {
	c.w()
	return c.DB.Refresh.UseRefreshToken(ctx, hash, now)
}
func (c *countingStore) RefreshTokenByHash(ctx context.Context, hash []byte) (*latch.RefreshToken, error) {
	c.r()
	return c.DB.Refresh.RefreshTokenByHash(ctx, hash)
}
func (c *countingStore) SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error) {
	c.r()
	return c.DB.Sessions.SessionByID(ctx, id)
}
func (c *countingStore) Users(ctx context.Context, limit int) ([]latch.User, error) {
	c.r()
	return c.DB.Users.Users(ctx, limit)
}
func (c *countingStore) UserByPublicID(ctx context.Context, publicID string) (*latch.User, error) {
	c.r()
	return c.DB.Users.UserByPublicID(ctx, publicID)
}
