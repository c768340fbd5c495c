// Package queue is Prasar's task queue: an adapter of github.com/hibiken/asynq
// (on Redis) that carries the publishing pipeline's work between the domain's
// steps. It is the only package that imports asynq and miniredis.
//
// Seven task types exist, each carrying ids only (the store, not Redis, is
// the source of truth):
//
//   - fanout (TaskID "fanout:<post>:<revision>") runs publisher.Service.Fanout,
//     which creates the deliveries of an approved post revision and enqueues
//     one deliver task per delivery;
//   - deliver (TaskID = the delivery id) runs publisher.Service.Deliver, one
//     attempt at one delivery;
//   - reconcile (TaskID "reconcile:<bucket>") runs publisher.Service.Reconcile,
//     which re-enqueues work whose task was lost;
//   - cases_check (TaskID "cases_check:<bucket>", every minute) runs
//     publisher.Service.CheckCases, the rebuttal desk's deadline check;
//   - metrics_sweep (TaskID "metrics_sweep:<bucket>", every minute) runs
//     publisher.Service.SweepMetrics, which tracks newly published
//     deliveries and queues the metrics readings that are due;
//   - metrics (TaskID "metrics:<delivery>:<key>") runs
//     publisher.Service.CollectMetrics, one reading of one delivery's
//     metrics, on the low-weight "metrics" queue (metrics.go);
//   - token_refresh (TaskID "token_refresh:<bucket>", every 5 minutes) runs
//     publisher.Service.RefreshTokens, which renews accounts' tokens before
//     they expire and alerts the officers of accounts that need
//     reconnecting (tokens.go).
//
// Fan-out, reconcile, cases_check and token_refresh tasks go to the
// "critical" queue; deliver tasks go to one queue per platform
// ("deliver_facebook", "deliver_x", …), so that a slow or rate-limited
// platform cannot starve the others.
//
// Deterministic task ids make enqueueing idempotent: enqueueing work that is
// already queued, scheduled, retrying or running is not an error. The domain,
// not asynq, decides when to retry: a handler that returns a
// *publisher.RetryError is run again at its At (and is not counted as a
// failure); any other error is retried with exponential back-off and jitter;
// a task whose payload cannot be read is archived without retry.
//
// The pieces:
//
//   - [RedisFromURL] opens a connection pool to Redis; [Redis.Ping] and
//     [Redis.Stats] serve health checks and the operations page.
//   - [StartEmbedded] runs an in-process Redis (miniredis) for single-machine
//     mode, with a clock that advances so that keys expire.
//   - [Client] implements publisher.Enqueuer.
//   - [Server] runs the workers (asynq's Start and Shutdown, never Run) and
//     enqueues a reconcile task every Config.ReconcileEvery.
//   - [MeasureRawThroughput] measures the raw asynq ceiling on the same
//     Redis, the yardstick of `make bench`.
package queue
