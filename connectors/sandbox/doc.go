// Package sandbox is a set of fake social platforms that speak the real
// platforms' HTTP contracts (docs: shared/docs/platform-apis.md). Connectors
// talk real HTTP to it in their tests, and Prasar's sandbox mode mounts it
// beside the API so that people can train and demonstrate without touching
// a real account.
//
// # Using it
//
//	sb := sandbox.New(sandbox.Options{Secret: secret, BaseURL: "http://localhost:8080"})
//	mux.Handle(sandbox.MountPath, sb.Handler()) // "/sandbox/", prefix not stripped
//	tok := sb.MintToken("facebook", "1001", "Department of Agriculture", 0)
//	// connectors: GraphURL = BaseURL+sandbox.FacebookGraphPath, WebURL = BaseURL+sandbox.FacebookWebPath
//	sb.SetFault("facebook", "1001", sandbox.Fault{Kind: sandbox.FaultDropAfterCommit, Times: 1})
//	posts := sb.Posts("facebook", "1001") // what the fake received: assert "exactly once" on this
//
// Tokens are stateless and signed with Options.Secret, so a restarted
// sandbox with the same secret still accepts tokens seeded into Prasar's
// store; an account exists from the moment a token for it is minted or
// first used. Expired tokens get the platform's own expired-token error.
//
// Faults are per account (or per platform), switchable in Go (SetFault,
// ClearFaults) and over HTTP (GET/POST/DELETE /sandbox/_faults, JSON as in
// faultJSON). The fault machinery is shared: withFaults decides whether a
// call fails and handles the kinds that need no platform wording (slow,
// drop, drop after commit); each platform only renders its own error bodies
// and headers.
//
// Human pages: /sandbox/ lists platforms and accounts; each platform has an
// account page (its feed, newest first, times in IST) and a post page,
// rendered by the shared renderFeed and labelled "SANDBOX — not a real
// platform".
//
// Snapshot/Restore (and SaveFile/LoadFile) keep accounts, posts and images
// across restarts; faults are not saved.
//
// # Adding a platform
//
// One file per platform, named after it (facebook.go is the model):
//
//  1. Constants for its mount points, under /sandbox/<name>/ (for example
//     FacebookGraphPath and FacebookWebPath), documented for the lead who
//     wires connectors to them.
//  2. An init function calling register(&platform{name, title, order,
//     mount, pagePath, postPath}). name is the path segment and the
//     platform name used by MintToken, SetFault and Posts; use the
//     publisher.Platform string ("instagram", "x", …) without importing it.
//  3. mount registers the API handler wrapped in s.withFaults(name,
//     classify, renderFault, handler), plus the human pages, which call
//     s.renderFeed(w, r, name, accountID, postID).
//  4. classify returns the call's account (from the token where possible)
//     and its Op (OpPublish for calls that create a visible post, OpUpload,
//     OpRead, OpDelete); it may read the body through bufferBody.
//     renderFault writes the platform's real answers for FaultRateLimit
//     (with its rate-limit headers and reset), FaultServerError,
//     FaultExpiredToken and FaultDuplicate.
//  5. Handlers authenticate with s.parseToken(name, token) and check
//     expiry (tokenClaims.expired), take s.mu for every read or change of
//     the record, create ids with s.newIDLocked, record posts with
//     s.addPostLocked, uploads with s.addUploadLocked and image bytes with
//     s.putMediaLocked. Reply with the platform's exact success and error
//     shapes; keep its limits as named constants at the top of the file.
//  6. Tests in <name>_test.go against the documented contract: success
//     shapes, every error the connector classifies, the faults, and the
//     human pages.
//
// The package imports nothing of Prasar's: it is a stand-in for the outside
// world and must not share the connectors' assumptions.
package sandbox
