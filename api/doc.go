// Package api is Prasar's HTTP adapter: the JSON API under /api/v1 that the
// single-page app talks to, the public signed media URLs that platforms
// fetch, the health endpoints and the SPA itself. It is the only importer of
// gin.
//
// The contract is docs/api.md. The package keeps to one route table
// (NewHandler in api.go), one table from domain error codes to HTTP statuses
// (errors.go), and thin handlers that bind the request, call
// *publisher.Service, and render the answer. Every rule about who may do
// what lives in the domain; this package only authenticates the session,
// checks CSRF, limits and decodes bodies, and maps errors.
package api
