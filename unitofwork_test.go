package latch_test

import (
	"context"
	"testing"

	"github.com/latchauth/latch"
)

func TestAfterCommit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		unit      bool
		committed bool
		want      []string
	}{
		{"no unit of work runs at once", false, false, []string{"a", "b"}},
		{"commit runs the hooks in order", true, true, []string{"a", "b"}},
		{"rollback drops them", true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			done := func(bool) {}
			if tc.unit {
				ctx, done = latch.WithCommitHooks(ctx)
			}
			var got []string
			latch.AfterCommit(ctx, func() { got = append(got, "a") })
			latch.AfterCommit(ctx, func() { got = append(got, "b") })
			if tc.unit && len(got) != 0 {
				t.Fatalf("hooks ran before the unit of work ended: %v", got)
			}
			done(tc.committed)
			done(tc.committed) // a second end runs nothing again
			if len(got) != len(tc.want) {
				t.Fatalf("ran %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("ran %v, want %v", got, tc.want)
				}
			}
		})
	}
}
