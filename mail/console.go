package mail

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// consoleTransport prints messages for local development. Printing the body
// (codes and links included) is its purpose.
type consoleTransport struct {
	mu   sync.Mutex // keeps messages from interleaving
	out  io.Writer
	from string
}

func (t *consoleTransport) deliver(_ context.Context, msg Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "==================== mail: %s ====================\n", msg.Kind)
	fmt.Fprintf(&b, "From: %s\n", t.from)
	fmt.Fprintf(&b, "To: %s\n", msg.To)
	fmt.Fprintf(&b, "Subject: %s\n", msg.Subject)
	fmt.Fprintf(&b, "Date: %s\n", time.Now().Format(time.RFC1123Z))
	b.WriteString("\n")
	b.WriteString(msg.Text)
	if !strings.HasSuffix(msg.Text, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("==================== end of mail ====================\n")

	t.mu.Lock()
	defer t.mu.Unlock()
	_, err := io.WriteString(t.out, b.String())
	return err
}
