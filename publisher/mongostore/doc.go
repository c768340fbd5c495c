// Package mongostore is Prasar's production store: it implements
// publisher.Store on MongoDB with go.mongodb.org/mongo-driver/v2, and it is
// the only package of the project that imports the driver.
//
// Open connects, pings and creates every index the store relies on: it
// lists each collection's indexes, creates the missing ones and refuses to
// start if one of the same name has other keys or lacks the uniqueness the
// store needs, so that Open can run on every start of every process. Each
// store call runs under its own timeout (WithTimeout), derived from the
// caller's context, rather than a client-wide timeout.
//
// # What it keeps to
//
// The store uses only what both MongoDB and FerretDB 1.x (the in-process
// test server) serve correctly: CRUD, compound and unique indexes, $set,
// $inc and $push updates, findOneAndUpdate without projection, find with
// sort, skip, limit and projection, countDocuments, and a $match+$group
// aggregation with one accumulator. It uses no multi-document transactions,
// change streams, $lookup, $facet, partial or TTL indexes, or collations.
// Users carry a lower-cased copy of their e-mail (emailLower) with a unique
// index, which gives the case-insensitive unique e-mail without a collation.
//
// # Atomicity without transactions
//
// Every guarantee of publisher.Store rests on single-document atomicity:
//
//   - A post and its revisions are one document. Revisions are embedded in
//     the post's "revisions" array; UpdatePost writes the post's fields,
//     bumps its version and pushes the new revision in one update whose
//     filter is {_id, version, revisions.revision ≠ n}. Either everything is
//     written or nothing is, so a stale writer can neither lose another's
//     edit nor leave a revision without its post (or a post pointing at a
//     revision that was never stored). GetPost and ListPosts exclude the
//     array by projection; GetRevision and ListRevisions read only the array.
//     The cost is that a post with all its revisions must fit MongoDB's
//     16 MiB document limit: a revision is its texts and target ids (a few
//     KiB), so that allows thousands of edits of one post. The alternative —
//     a separate revisions collection written before or after the post —
//     leaves a window in which a crash strands one without the other.
//   - ClaimDelivery is a findOneAndUpdate filtered on the claimable states:
//     first queued, or retrying and due; failing that, sending with an
//     expired lease, which also sets needsLookup. The server applies filter
//     and update to the document atomically, so of concurrent claims
//     exactly one matches.
//   - FinishDelivery is filtered on {_id, claimToken, status: sending}, and
//     ChangeDelivery on {_id, status ∈ from}: compare-and-set on the
//     delivery document itself.
//   - A delivery's attempts are embedded in its document, in the
//     "attemptLog" array. FinishDelivery sets the result and pushes the
//     attempt in the same findOneAndUpdate, so a worker that lost its claim
//     stores neither, and a stored result never lacks its attempt;
//     AddAttempt is a $push too. ListAttempts reads only the array, and
//     GetDelivery, ListDeliveries and ListDueDeliveries leave it out by
//     projection. ClaimDelivery, FinishDelivery and ChangeDelivery get it
//     back with the updated document (FerretDB serves no projection on
//     findAndModify); a delivery has a handful of attempts, each well under
//     a KiB.
//   - CreateDeliveries is an unordered insertMany against a unique index on
//     (postId, revision, accountId) and the _id: re-running it inserts only
//     what is missing, and duplicate-key errors are counted, not returned.
//
// # Errors
//
// A missing document is publisher.ENOTFOUND; a duplicate key (E11000) is
// ECONFLICT, and so is FerretDB's report of a unique violation on update
// (code 1 with "UNIQUE constraint failed"), which MongoDB reports as
// E11000. Everything else is EINTERNAL with the driver's error wrapped.
//
// # Times
//
// MongoDB keeps times to the millisecond. The store writes them in UTC and
// reads them back in UTC; sub-millisecond parts are lost.
package mongostore
