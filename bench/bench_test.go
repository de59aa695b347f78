package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSmoke runs the harness's smoke mode end to end — it builds Latch and
// the baseline server, starts them on loopback ports, seeds a SQLite
// database and measures baseline and session-token with 4 workers for 2
// seconds each — so that CI notices when the harness breaks. It asserts
// that the cells ran without errors, never how fast they were.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the smoke run builds and starts Latch (about 10 s); skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "results.json")
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"-smoke", "-out", out}, &log, &log); err != nil {
		t.Fatalf("smoke run: %v\n%s", err, log.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Scenario] = true
		if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.P99Ms <= 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", r.Scenario, r.Requests, r.Errors, r.FirstError)
		}
		if r.Scenario == "session-token" && r.VsBaseline <= 0 {
			t.Errorf("session-token has no ratio to baseline")
		}
	}
	if !seen["baseline"] || !seen["session-token"] || len(rep.Results) != 2 {
		t.Errorf("results: %+v, want baseline and session-token", rep.Results)
	}
	if t.Failed() {
		t.Log(log.String())
	}
}
