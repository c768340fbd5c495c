// Package publisher is Prasar's domain: organisations and their nodal
// officers, the platform accounts they publish to, users and their roles,
// posts with their revisions and review trail, deliveries (one per approved
// post revision × target account) and the append-only audit log.
//
// It also holds the services that implement the product's workflows:
// composing and reviewing posts, fanning an approved post out to its target
// accounts, and delivering each one exactly once through a platform
// Connector. Everything the services need from the outside world — storage,
// the queue, platform connectors, password hashing — is declared as an
// interface in ports.go and implemented by an adapter package. This package
// imports only the standard library.
//
// Errors returned by the services are *Error values carrying one of the
// codes in errors.go; adapters map those codes to HTTP statuses (api) or
// retry decisions (queue) in one table each.
package publisher
