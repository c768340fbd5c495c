//go:build !embedui

package main

import "testing"

// TestE2E stands in for the end-to-end tests in e2e_test.go, which drive
// the embedded web interface in headless Chromium and so need the built
// frontend (npm run build) and the embedui build tag.
func TestE2E(t *testing.T) {
	t.Skip("the end-to-end tests click through the embedded web interface in Chromium: they run with -tags embedui " +
		"after `cd frontend && npm ci && npm run build` (`make test` does both)")
}
