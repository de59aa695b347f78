package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestSmoke runs the harness's smoke mode end to end — it builds Latch and
// the baseline server, starts them on loopback ports, seeds a SQLite
// database and measures baseline and session-token with 4 connections for
// a second each, under the Go load generator and, when wrk is installed,
// under wrk too — so that CI notices when the harness breaks. It asserts
// that the cells ran without errors, never how fast they were.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("the smoke run builds and starts Latch (about 15 s); skipped with -short")
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
	gens := []string{loadGenGo}
	if _, err := exec.LookPath("wrk"); err == nil {
		gens = append(gens, loadGenWrk)
	}
	if fmt.Sprint(rep.Settings.LoadGens) != fmt.Sprint(gens) {
		t.Errorf("load generators %v, want %v", rep.Settings.LoadGens, gens)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.LoadGen+" "+r.Scenario] = true
		if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.P99Ms <= 0 || r.CPU.Harness <= 0 {
			t.Errorf("%s under %s: %d requests, %d errors (%s), p99 %.3f ms, load generator's CPU %.2f",
				r.Scenario, r.LoadGen, r.Requests, r.Errors, r.FirstError, r.P99Ms, r.CPU.Harness)
		}
		if r.Scenario == "session-token" && r.VsBaseline <= 0 {
			t.Errorf("session-token under %s has no ratio to baseline", r.LoadGen)
		}
	}
	for _, g := range gens {
		if !seen[g+" baseline"] || !seen[g+" session-token"] {
			t.Errorf("no baseline or session-token cell under %s", g)
		}
	}
	if len(rep.Results) != 2*len(gens) {
		t.Errorf("%d results, want %d", len(rep.Results), 2*len(gens))
	}
	if t.Failed() {
		t.Log(log.String())
	}
}
