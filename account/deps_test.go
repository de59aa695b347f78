package account_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImportsNoHTTPOrSQL keeps the rules in the core: the domain and
// account packages must not depend on net/http or database/sql, directly or
// through anything they import.
func TestCoreImportsNoHTTPOrSQL(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/latchauth/latch", "github.com/latchauth/latch/account").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || dep == "database/sql" {
			t.Errorf("the account core depends on %s", dep)
		}
	}
}
