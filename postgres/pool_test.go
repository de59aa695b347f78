package postgres

import (
	"testing"
	"time"
)

// TestPoolConfig checks the pool's defaults and that a URL's own settings
// win over them.
func TestPoolConfig(t *testing.T) {
	for _, tc := range []struct {
		url              string
		stmts, descs     int
		statementTimeout string
		connectTimeout   time.Duration
	}{
		{"postgres://u@127.0.0.1:5432/db", StatementCacheCapacity, StatementCacheCapacity, "10000", ConnectTimeout},
		{"postgres://u@127.0.0.1:5432/db?statement_cache_capacity=9&connect_timeout=2", 9, StatementCacheCapacity, "10000", 2 * time.Second},
		{"postgres://u@127.0.0.1:5432/db?description_cache_capacity=7&statement_timeout=50", StatementCacheCapacity, 7, "50", ConnectTimeout},
		{"host=127.0.0.1 user=u dbname=db statement_cache_capacity=0", 0, StatementCacheCapacity, "10000", ConnectTimeout},
	} {
		cfg, err := poolConfig(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if cfg.StatementCacheCapacity != tc.stmts || cfg.DescriptionCacheCapacity != tc.descs ||
			cfg.RuntimeParams["statement_timeout"] != tc.statementTimeout || cfg.ConnectTimeout != tc.connectTimeout {
			t.Errorf("%s: caches %d/%d, statement_timeout %q, connect timeout %v", tc.url,
				cfg.StatementCacheCapacity, cfg.DescriptionCacheCapacity, cfg.RuntimeParams["statement_timeout"], cfg.ConnectTimeout)
		}
	}
	if _, err := poolConfig("postgres://u@127.0.0.1:5432/db?statement_cache_capacity=x"); err == nil {
		t.Error("a bad statement_cache_capacity was accepted")
	}
}
