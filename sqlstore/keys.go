package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch"
)

// SigningKeys is the signing_keys table: the sealed private keys that sign
// access tokens, each retiring once a newer one has been published.
type SigningKeys struct{ h *handle }

// SigningKeys lists the signing keys not yet retired at now, newest first.
func (ks *SigningKeys) SigningKeys(ctx context.Context, now time.Time) (_ []latch.SigningKey, err error) {
	defer ks.h.classify(&err)
	rows, err := ks.h.readRows(ctx, `SELECT kid, alg, private_key, created, retire_at FROM signing_keys
		WHERE retire_at IS NULL OR retire_at > $1 ORDER BY created DESC, kid`, ks.h.t(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.SigningKey
	for rows.Next() {
		var k latch.SigningKey
		if err := rows.Scan(&k.ID, &k.Alg, &k.Sealed, instant{&k.Created}, instant{&k.RetireAt}); err != nil {
			return nil, err
		}
		list = append(list, k)
	}
	return list, rows.Err()
}

// AddSigningKey stores k as the active key and schedules every other active
// key to retire at retireOthers, in one transaction.
func (ks *SigningKeys) AddSigningKey(ctx context.Context, k *latch.SigningKey, retireOthers time.Time) (err error) {
	defer ks.h.classify(&err)
	return ks.h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET retire_at = $1 WHERE retire_at IS NULL`, ks.h.t(retireOthers)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (kid, alg, private_key, created) VALUES ($1, $2, $3, $4)`,
			k.ID, k.Alg, k.Sealed, ks.h.t(k.Created))
		return err
	})
}

// DeleteRetiredKeys removes keys retired before now.
func (ks *SigningKeys) DeleteRetiredKeys(ctx context.Context, now time.Time) (err error) {
	defer ks.h.classify(&err)
	_, err = ks.h.w(ctx).ExecContext(ctx, `DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= $1`, ks.h.t(now))
	return err
}
