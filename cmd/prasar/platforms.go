package main

import (
	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/publisher"
)

// anySandbox reports whether any platform runs against the sandbox (so the
// sandbox server must be mounted).
func (c Config) anySandbox() bool {
	return c.Facebook.Sandbox()
}

// buildConnectors makes one connector per platform from its configuration
// block; platforms without app credentials talk to the sandbox. It returns
// the connectors and the names of the sandboxed platforms.
func buildConnectors(c Config) ([]publisher.Connector, []string, error) {
	var conns []publisher.Connector
	var sandboxed []string

	fb := facebook.Config{AppID: c.Facebook.AppID, AppSecret: c.Facebook.AppSecret, APIVersion: c.Facebook.APIVersion,
		GraphURL: c.Facebook.GraphURL, WebURL: c.Facebook.WebURL}
	if c.Facebook.Sandbox() {
		sandboxed = append(sandboxed, string(publisher.Facebook))
		if fb.GraphURL == "" {
			fb.GraphURL = c.SandboxURL + "/facebook/graph"
		}
		if fb.WebURL == "" {
			fb.WebURL = c.SandboxURL + "/facebook/www"
		}
	}
	conns = append(conns, facebook.New(fb))
	return conns, sandboxed, nil
}
