package smtpmail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a minimal SMTP server that records what it receives.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func startFake(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { c.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			f.mu.Lock()
			f.rcpt = append(f.rcpt, strings.TrimSpace(line[8:]))
			f.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, b.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

func TestSend(t *testing.T) {
	f := startFake(t)
	m, err := New("smtp://"+f.ln.Addr().String(), "Prasar <no-reply@example.gov.in>")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), []string{"nodal.agri@example.gov.in", "alt.agri@example.gov.in"}, "खाता जल्द समाप्त होगा", "The X account must be reconnected.\nSee Prasar.")
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.msgs) != 2 || len(f.rcpt) != 2 {
		t.Fatalf("got %d messages to %v", len(f.msgs), f.rcpt)
	}
	msg := f.msgs[0]
	for _, want := range []string{"From: \"Prasar\" <no-reply@example.gov.in>", "To: <nodal.agri@example.gov.in>", "Subject: =?utf-8?q?", "charset=utf-8", "reconnected.\r\nSee Prasar."} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "alt.agri") {
		t.Error("one recipient's message names another recipient")
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	for _, tt := range []struct{ url, from string }{
		{"http://smtp.example", "a@b.in"}, {"smtp://", "a@b.in"}, {"smtp://smtp.example", "not an address"},
	} {
		if _, err := New(tt.url, tt.from); err == nil {
			t.Errorf("New(%q, %q) accepted", tt.url, tt.from)
		}
	}
}
