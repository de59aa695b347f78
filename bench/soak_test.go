package main

import (
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestPaced: the paced loop samples each interval, counts every operation
// it starts as a success or an error (or as shed when no worker is free),
// and releases the workers' connections.
func TestPaced(t *testing.T) {
	var calls, released atomic.Int64
	mk := func(i int) (op, func(), error) {
		return func() error {
			if calls.Add(1)%5 == 0 {
				return errors.New("every fifth fails")
			}
			return nil
		}, func() { released.Add(1) }, nil
	}
	var sampled int
	samples, err := paced(context.Background(), mk, 500, 300*time.Millisecond, 100*time.Millisecond, func(s *soakSample) { sampled++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 3 || sampled != len(samples) {
		t.Fatalf("%d samples (%d callbacks), want at least 3", len(samples), sampled)
	}
	var errs uint64
	var first string
	for _, s := range samples {
		errs += s.Errors
		if s.FirstError != "" {
			first = s.FirstError
		}
	}
	if errs == 0 || first != "every fifth fails" {
		t.Errorf("errors %d, first %q", errs, first)
	}
	if released.Load() != soakWorkers {
		t.Errorf("%d workers released, want %d", released.Load(), soakWorkers)
	}
	if _, err := paced(context.Background(), mk, 0, time.Second, time.Second, func(*soakSample) {}); err == nil {
		t.Error("a rate of 0 was accepted")
	}
}

// TestFDs: the descriptor count of this process sees a file it opens.
func TestFDs(t *testing.T) {
	before, _ := fds(os.Getpid(), "sqlite")
	f, err := os.Create(t.TempDir() + "/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, db := fds(os.Getpid(), "sqlite")
	if after != before+1 || db < 1 {
		t.Errorf("fds %d → %d, database files %d", before, after, db)
	}
}

func TestSoakFlags(t *testing.T) {
	for _, args := range [][]string{{"-soak", "-1s"}, {"-soak", "1m", "-scale"}, {"-soak", "10s", "-soak-every", "1m"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	o, err := parseFlags([]string{"-soak", "10m"}, io.Discard)
	if err != nil || o.soak != 10*time.Minute || o.soakEvery != 10*time.Second {
		t.Errorf("%+v, %v", o, err)
	}
}
