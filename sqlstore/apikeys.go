package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/latchauth/latch"
)

// APIKeys is the api_keys table: the admin API keys, by the SHA-256 of the
// key (the key itself is never stored).
type APIKeys struct{ h *handle }

// CreateAPIKey stores k and sets its ID; latch.ErrConflict when the name is taken.
func (ks *APIKeys) CreateAPIKey(ctx context.Context, k *latch.APIKey) (err error) {
	defer ks.h.classify(&err)
	err = ks.h.w(ctx).QueryRowContext(ctx, `INSERT INTO api_keys (name, key_hash, created) VALUES ($1, $2, $3) RETURNING id`,
		k.Name, k.Hash, ks.h.t(k.Created)).Scan(&k.ID)
	if _, ok := ks.h.d.UniqueIndex(err); ok {
		return latch.ErrConflict
	}
	return err
}

// APIKeyByHash returns the key with that hash, or latch.ErrNotFound, and
// records its use at now (at most once a minute, so that a busy backend
// does not write on every call).
func (ks *APIKeys) APIKeyByHash(ctx context.Context, hash []byte, now time.Time) (_ *latch.APIKey, err error) {
	defer ks.h.classify(&err)
	k := &latch.APIKey{Hash: hash}
	err = ks.h.readRow(ctx, `SELECT id, name, created, last_used FROM api_keys WHERE key_hash = $1`, hash).
		Scan(&k.ID, &k.Name, instant{&k.Created}, instant{&k.LastUsed})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(k.LastUsed) >= time.Minute {
		if _, err := ks.h.w(ctx).ExecContext(ctx, `UPDATE api_keys SET last_used = $1 WHERE id = $2`, ks.h.t(now), k.ID); err != nil {
			return nil, err
		}
		k.LastUsed = now
	}
	return k, nil
}

// APIKeys lists the keys, oldest first.
func (ks *APIKeys) APIKeys(ctx context.Context) (_ []latch.APIKey, err error) {
	defer ks.h.classify(&err)
	rows, err := ks.h.readRows(ctx, `SELECT id, name, created, last_used FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.APIKey
	for rows.Next() {
		var k latch.APIKey
		if err := rows.Scan(&k.ID, &k.Name, instant{&k.Created}, instant{&k.LastUsed}); err != nil {
			return nil, err
		}
		list = append(list, k)
	}
	return list, rows.Err()
}

// DeleteAPIKey deletes the key with that name, or that id when nameOrID is
// a number no key is named; latch.ErrNotFound when there is none. It
// returns the name of the key deleted.
func (ks *APIKeys) DeleteAPIKey(ctx context.Context, nameOrID string) (_ string, err error) {
	defer ks.h.classify(&err)
	id, _ := strconv.ParseInt(nameOrID, 10, 64)
	var name string
	err = ks.h.w(ctx).QueryRowContext(ctx, `DELETE FROM api_keys WHERE id = (SELECT id FROM api_keys WHERE name = $1 UNION ALL SELECT id FROM api_keys WHERE id = $2 LIMIT 1) RETURNING name`,
		nameOrID, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", latch.ErrNotFound
	}
	return name, err
}
