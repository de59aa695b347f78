package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"syscall"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/net/idna"
)

// smtpTransport delivers over SMTP with github.com/wneessen/go-mail, one
// connection per message.
type smtpTransport struct {
	host      string
	opts      []gomail.Option // client options, the same for every attempt
	from      string
	msgDomain string // domain part of Message-IDs
}

// newSMTPTransport validates an smtp:// or smtps:// URL and the From address.
func newSMTPTransport(cfg *Config) (*smtpTransport, error) {
	u := cfg.URL
	implicitTLS := strings.EqualFold(u.Scheme, "smtps")
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("mail: URL %q has no host", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("mail: URL %q: unexpected path", u.Redacted())
	}
	defaultPort := 25
	if implicitTLS {
		defaultPort = 465
	}
	port, err := parsePort(u, defaultPort)
	if err != nil {
		return nil, err
	}

	policy := gomail.TLSOpportunistic
	q := u.Query()
	for k := range q {
		if k != "starttls" {
			return nil, fmt.Errorf("mail: URL %q: unknown parameter %q", u.Redacted(), k)
		}
	}
	if v, ok := q["starttls"]; ok {
		if implicitTLS {
			return nil, fmt.Errorf("mail: URL %q: starttls does not apply to smtps (which is TLS from the start)", u.Redacted())
		}
		switch strings.ToLower(v[len(v)-1]) {
		case "require", "required":
			policy = gomail.TLSMandatory
		case "opportunistic", "":
			policy = gomail.TLSOpportunistic
		case "off", "never", "none":
			policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("mail: URL %q: starttls must be require, opportunistic or off", u.Redacted())
		}
	}

	if cfg.From == "" {
		return nil, errors.New("mail: no From address configured")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: invalid From address %q: %w", cfg.From, err)
	}
	msgDomain := "localhost"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		msgDomain = from.Address[i+1:]
	}

	var tlsCfg *tls.Config
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	} else {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}
	if tlsCfg.MinVersion == 0 {
		tlsCfg.MinVersion = tls.VersionTLS12
	}

	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(tlsCfg),
	}
	if implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(policy))
	}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		// PLAIN and LOGIN refuse to send credentials over an unencrypted
		// connection to anything but localhost.
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(u.User.Username()),
			gomail.WithPassword(pass),
		)
	}

	// Check the options once, so a bad setting fails New rather than every
	// delivery.
	if _, err := gomail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	return &smtpTransport{host: host, opts: opts, from: cfg.From, msgDomain: msgDomain}, nil
}

// deliver makes one attempt to send msg over a fresh connection.
func (t *smtpTransport) deliver(ctx context.Context, msg Message) error {
	m := gomail.NewMsg()
	if err := m.From(t.from); err != nil {
		return fmt.Errorf("sender address: %w", err)
	}
	if err := m.To(asciiDomain(msg.To)); err != nil {
		return fmt.Errorf("recipient address: %w", err)
	}
	m.Subject(msg.Subject)
	m.SetDate()
	m.SetMessageIDWithValue(randomID() + "@" + t.msgDomain)
	m.SetUserAgent("Latch")
	// RFC 3834: tells autoresponders not to answer.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}

	// A new client per attempt: go-mail clients keep per-connection state.
	c, err := gomail.NewClient(t.host, t.opts...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, m)
	if err != nil && m.IsDelivered() {
		// The server accepted the message; only the RSET or QUIT after it
		// failed. Retrying would send it twice.
		return nil
	}
	return err
}

// asciiDomain returns addr with its domain in IDNA ASCII form (A-labels,
// "bob@xn--bcher-kva.de"), which every SMTP server accepts; the account
// core stores domains in their Unicode form ("bob@bücher.de"). An address
// without a valid IDNA domain is returned as it is.
func asciiDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	domain, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + domain
}

// randomID returns 16 random bytes in hex, for Message-IDs.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isTransient reports whether a failed attempt is worth retrying: the
// network failed (refused, reset, timed out) or the server answered with a
// 4xx reply. 5xx replies, TLS certificate problems and configuration errors
// (no STARTTLS when required, no usable AUTH) are permanent.
func isTransient(err error) bool {
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		if sendErr.IsTemp() {
			return true
		}
		if code := sendErr.ErrorCode(); code >= 500 {
			return false
		}
		switch sendErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false
		}
		// The conversation broke off without a reply code, e.g. the
		// connection was lost while writing the message.
		return true
	}

	var protoErr *textproto.Error
	if errors.As(err, &protoErr) {
		return protoErr.Code >= 400 && protoErr.Code < 500
	}

	var (
		certErr      *tls.CertificateVerificationError
		authorityErr x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidErr   x509.CertificateInvalidError
		recordErr    tls.RecordHeaderError
	)
	if errors.As(err, &certErr) || errors.As(err, &authorityErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr) {
		return false
	}

	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
