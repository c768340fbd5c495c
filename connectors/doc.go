// Package connectors holds what every platform connector shares: an HTTP
// client with sane timeouts and no retries of its own (NewHTTPClient), a
// call helper that tells failures before and after the request left apart
// (Do, TransportError), status-driven classification (StatusError,
// RetryAfter) and Meta's Graph error envelope and rate-limit headers
// (GraphClassifier, GraphUsageReset), used by Facebook, Instagram and
// Threads. Each platform is a sub-package implementing publisher.Connector;
// connectors/sandbox fakes the platforms for tests and sandbox mode.
//
// # Classification
//
// Every connector failure is a *publisher.PlatformError; the domain
// (publisher.Service.Deliver) decides what to do with it:
//   - retryable: network trouble, 5xx, the platform's "temporary" codes;
//   - rate-limited: with RetryAt from the platform's headers, else a
//     configured default;
//   - auth: the token is missing, expired or revoked — reconnect;
//   - rejected: the content or the app's permissions are wrong — no retry.
//
// Ambiguous is set whenever the platform may have acted although no clear
// answer came back: a timeout or dropped connection after a connection was
// obtained, a 5xx, a retryable platform error, an unreadable 2xx. The next
// attempt then calls Lookup before posting again. Only failures that
// certainly happened before anything was sent (DNS, connection refused,
// TLS, connect timeouts; checks the connector makes before calling) are
// not ambiguous. A connector may clear Ambiguous where it knows better: a
// failed read, or a failed upload that cannot make a visible post.
//
// # Adding a platform connector
//
// One package per platform, connectors/<platform> (connectors/facebook is
// the model):
//
//  1. Config with every limit and URL as a field whose zero value means
//     the default (API host, web host, API version, text and media limits,
//     rate-limit back-off, HTTP timeouts or client, Now, Logger); New(cfg)
//     applies the defaults. Sandbox mode only changes the URLs.
//  2. Platform, Rules (from Config) and Measure (count exactly what Publish
//     sends, in the platform's unit; document the unit).
//  3. Publish: check what can be checked locally first (length, media count,
//     types, sizes, missing token or account id) and return rejected/auth
//     errors without calling; then make the calls with Do, classify non-2xx
//     answers with the platform's classifier, and return the post's id and
//     public URL. Send the token in a header, never in a URL, never log it.
//     Use the platform's idempotency key (Message.DeliveryID) where there is
//     one.
//  4. Lookup: find a post made from the same message on or after since
//     (compare what Publish would send, normalised), bounded in pages;
//     ErrNotPublished when surely absent, ErrLookupUnsupported when the
//     platform cannot tell.
//  5. Tests: golden request/response cases from platform-apis.md against an
//     httptest stub (assert method, path, parameters, where the token goes),
//     and contract tests against connectors/sandbox covering every error
//     class, the ambiguous cases and Lookup.
//
// OAuth helpers (golang.org/x/oauth2) will live in this package tree only;
// nothing here imports it yet.
package connectors
