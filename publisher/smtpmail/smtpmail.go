// Package smtpmail sends Prasar's notification e-mail through an SMTP
// server (publisher.Mailer). It speaks plain SMTP with STARTTLS when the
// server offers it (smtp://), or SMTP over TLS from the first byte
// (smtps://), and authenticates with PLAIN when the URL carries a user.
package smtpmail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/prasar/prasar/publisher"
)

// Mailer sends mail through one SMTP server.
type Mailer struct {
	addr     string // host:port
	host     string
	implicit bool // smtps: TLS from the first byte
	auth     smtp.Auth
	from     *mail.Address
	tls      *tls.Config
	timeout  time.Duration
	now      func() time.Time
}

var _ publisher.Mailer = (*Mailer)(nil)

// New returns a Mailer for a URL such as smtp://user:pass@smtp.example.gov.in:587
// or smtps://smtp.example.gov.in:465, sending as from ("Prasar <no-reply@…>").
func New(rawURL, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("smtpmail: want smtp://[user:password@]host[:port] or smtps://…")
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtpmail: sender %q: %w", from, err)
	}
	m := &Mailer{host: u.Hostname(), implicit: u.Scheme == "smtps", from: fromAddr, timeout: 30 * time.Second, now: time.Now}
	port := u.Port()
	if port == "" {
		port = "587"
		if m.implicit {
			port = "465"
		}
	}
	m.addr = net.JoinHostPort(m.host, port)
	m.tls = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, m.host)
	}
	return m, nil
}

// Send sends one message to the recipients (each sees only themselves in
// To, so that officers' addresses are not shared).
func (m *Mailer) Send(ctx context.Context, to []string, subject, body string) error {
	var errs []error
	for _, rcpt := range to {
		if err := m.sendOne(ctx, rcpt, subject, body); err != nil {
			errs = append(errs, fmt.Errorf("to %s: %w", rcpt, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Mailer) sendOne(ctx context.Context, rcpt, subject, body string) error {
	addr, err := mail.ParseAddress(rcpt)
	if err != nil {
		return fmt.Errorf("smtpmail: recipient: %w", err)
	}
	deadline := time.Now().Add(m.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	d := net.Dialer{Deadline: deadline}
	var conn net.Conn
	if m.implicit {
		conn, err = tls.DialWithDialer(&d, "tcp", m.addr, m.tls)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.addr)
	}
	if err != nil {
		return fmt.Errorf("smtpmail: connecting to %s: %w", m.addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("smtpmail: greeting: %w", err)
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tls); err != nil {
				return fmt.Errorf("smtpmail: starttls: %w", err)
			}
		}
	}
	if m.auth != nil {
		if err := c.Auth(m.auth); err != nil {
			return fmt.Errorf("smtpmail: authenticating: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("smtpmail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(addr.Address); err != nil {
		return fmt.Errorf("smtpmail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtpmail: DATA: %w", err)
	}
	if _, err := w.Write(m.message(addr, subject, body)); err != nil {
		return fmt.Errorf("smtpmail: writing the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtpmail: ending the message: %w", err)
	}
	return c.Quit()
}

// message renders a UTF-8 plain-text message (Hindi subjects are encoded
// per RFC 2047).
func (m *Mailer) message(to *mail.Address, subject, body string) []byte {
	var b strings.Builder
	b.WriteString("From: " + m.from.String() + "\r\n")
	b.WriteString("To: " + to.String() + "\r\n")
	b.WriteString("Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n")
	b.WriteString("Date: " + m.now().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("Message-ID: <" + publisher.NewID() + "@" + m.host + ">\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	b.WriteString(body)
	b.WriteString("\r\n")
	return []byte(b.String())
}
