package mail

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*.txt templates/*.html
var embedded embed.FS

// layoutFile is the shared HTML layout every <kind>_message.html may use.
const layoutFile = "base.html"

// kindSpec says which data keys a template kind needs.
type kindSpec struct {
	// required keys must be present and non-empty.
	required []string
	// optional keys may be missing; they are set to "" so templates can test
	// them with {{if}}.
	optional []string
	// oneOf, when set, needs at least one of these keys to be non-empty.
	oneOf []string
}

// kinds lists every template kind and its data. Every kind also gets
// SiteName, and Email defaults to the recipient address.
var kinds = map[string]kindSpec{
	"email_confirmation":        {required: []string{"Email"}, optional: []string{"Code", "Link"}, oneOf: []string{"Code", "Link"}},
	"email_confirmation_signup": {required: []string{"Email"}, optional: []string{"Code", "Link"}, oneOf: []string{"Code", "Link"}},
	"password_reset_key":        {required: []string{"Email", "Link"}, optional: []string{"Username"}},
	"password_reset_code":       {required: []string{"Email", "Code"}},
	"login_code":                {required: []string{"Email", "Code"}},
	"unknown_account":           {required: []string{"Email"}, optional: []string{"SignupLink"}},
	"account_already_exists":    {required: []string{"Email"}, optional: []string{"ResetLink"}},
	"password_changed":          {required: []string{"Email"}, optional: noticeDetails},
	"password_reset":            {required: []string{"Email"}, optional: noticeDetails},
	"email_added":               {required: []string{"Email", "Address"}, optional: noticeDetails},
	"email_removed":             {required: []string{"Email", "Address"}, optional: noticeDetails},
	"primary_email_changed":     {required: []string{"Email", "OldEmail", "NewEmail"}, optional: noticeDetails},
	"mfa_enabled":               {required: []string{"Email", "Factor"}, optional: noticeDetails},
	"mfa_disabled":              {required: []string{"Email", "Factor"}, optional: noticeDetails},
	"account_deleted":           {required: []string{"Email"}, optional: []string{"Time"}},
	// Social login: a provider account connected to or disconnected from the account.
	"provider_connected":    {required: []string{"Email", "Provider"}, optional: noticeDetails},
	"provider_disconnected": {required: []string{"Email", "Provider"}, optional: noticeDetails},
}

// noticeDetails are the optional keys of the security notifications: when
// and from where the change was made, and where to reset the password.
var noticeDetails = []string{"Time", "IP", "UserAgent", "ResetLink"}

// kindTemplates holds the three parsed templates of one kind.
type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// templateSource reads template files: from the operator's directory when it
// holds a file of that name, else from the embedded defaults.
type templateSource struct {
	dir string
}

func (s templateSource) read(name string) ([]byte, error) {
	if s.dir != "" {
		b, err := os.ReadFile(filepath.Join(s.dir, name))
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return embedded.ReadFile("templates/" + name)
}

// loadTemplates parses the templates of every kind, with operator overrides
// from dir (which may be ""). It fails if any template does not parse.
func loadTemplates(dir string, log *slog.Logger) (map[string]*kindTemplates, error) {
	src := templateSource{dir: dir}
	if dir != "" {
		if err := checkTemplateDir(dir, log); err != nil {
			return nil, err
		}
	}

	layout, err := src.read(layoutFile)
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", layoutFile, err)
	}

	out := make(map[string]*kindTemplates, len(kinds))
	for _, kind := range kindNames() {
		kt := &kindTemplates{}
		if kt.subject, err = parseText(src, kind+"_subject.txt"); err != nil {
			return nil, err
		}
		if kt.text, err = parseText(src, kind+"_message.txt"); err != nil {
			return nil, err
		}
		if kt.html, err = parseHTML(src, layout, kind+"_message.html"); err != nil {
			return nil, err
		}
		out[kind] = kt
	}
	return out, nil
}

// checkTemplateDir makes sure the override directory exists and warns about
// files in it that override nothing (most likely misspelt names).
func checkTemplateDir(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("mail: template directory: %w", err)
	}
	known := map[string]bool{}
	names, err := fs.Glob(embedded, "templates/*")
	if err != nil {
		return err
	}
	for _, n := range names {
		known[strings.TrimPrefix(n, "templates/")] = true
	}
	for _, e := range entries {
		if e.IsDir() || known[e.Name()] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		log.Warn("mail: ignoring unknown file in template directory", "dir", dir, "file", e.Name())
	}
	return nil
}

func parseText(src templateSource, name string) (*texttemplate.Template, error) {
	b, err := src.read(name)
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	return t, nil
}

func parseHTML(src templateSource, layout []byte, name string) (*htmltemplate.Template, error) {
	b, err := src.read(name)
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	t, err := htmltemplate.New(layoutFile).Option("missingkey=error").Parse(string(layout))
	if err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", layoutFile, err)
	}
	if _, err := t.New(name).Parse(string(b)); err != nil {
		return nil, fmt.Errorf("mail: template %s: %w", name, err)
	}
	// Execute the kind's own file; the layout and its partials stay reachable
	// through the shared namespace.
	return t.Lookup(name), nil
}

// kindNames returns the names of all template kinds, sorted.
func kindNames() []string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// prepareData copies data, adds SiteName (unless data sets it) and Email
// (the recipient's address, unless data sets it), sets missing optional keys
// to "" and checks that the required keys are there.
// brand is what every template gets about the site unless its data says
// otherwise: SiteName, BrandColor and LogoURL.
type brand struct{ siteName, color, logoURL string }

func prepareData(kind string, spec kindSpec, to *mail.Address, b brand, data map[string]any) (map[string]any, error) {
	d := make(map[string]any, len(data)+len(spec.optional)+4)
	for k, v := range data {
		d[k] = v
	}
	for k, v := range map[string]string{"SiteName": b.siteName, "BrandColor": b.color, "LogoURL": b.logoURL} {
		if isEmpty(d[k]) {
			d[k] = v
		}
	}
	if isEmpty(d["Email"]) {
		d["Email"] = to.Address
	}
	for _, k := range spec.optional {
		if _, ok := d[k]; !ok || d[k] == nil {
			d[k] = ""
		}
	}
	var missing []string
	for _, k := range spec.required {
		if isEmpty(d[k]) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("mail: %s: missing data %s", kind, strings.Join(missing, ", "))
	}
	if len(spec.oneOf) > 0 {
		ok := false
		for _, k := range spec.oneOf {
			ok = ok || !isEmpty(d[k])
		}
		if !ok {
			return nil, fmt.Errorf("mail: %s: needs one of %s", kind, strings.Join(spec.oneOf, " or "))
		}
	}
	return d, nil
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s) == ""
	}
	if s, ok := v.(fmt.Stringer); ok {
		return strings.TrimSpace(s.String()) == ""
	}
	return false
}

// render executes the three templates of one kind.
func (kt *kindTemplates) render(data map[string]any) (subject, text, html string, err error) {
	var b strings.Builder
	if err := kt.subject.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("subject: %w", err)
	}
	// A subject is one header line: fold any newlines and runs of spaces
	// that the template produced.
	subject = strings.Join(strings.Fields(b.String()), " ")

	b.Reset()
	if err := kt.text.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("text: %w", err)
	}
	text = tidyText(b.String())

	b.Reset()
	if err := kt.html.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("html: %w", err)
	}
	html = strings.TrimSpace(b.String()) + "\n"
	return subject, text, html, nil
}

// tidyText trims trailing spaces from lines, collapses runs of blank lines
// (left by optional sections) and ends the text with a single newline.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops leading blank lines
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
