// Command pgcheck exits 0 when the PostgreSQL server at the URL given as its
// argument answers within a few seconds; the test script uses it to decide
// whether to run the PostgreSQL tests.
package main

import (
	"context"
	"database/sql"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	if len(os.Args) != 2 {
		os.Exit(2)
	}
	db, err := sql.Open("pgx", os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		os.Exit(1)
	}
}
