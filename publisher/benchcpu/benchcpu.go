// Package benchcpu measures the process's CPU time for benchmarks, and runs
// a benchmark's operations as a pool of workers does. On a
// small or shared machine a benchmark's wall-clock time swings with
// whatever else runs; the CPU time the process spent per operation says
// more about what the code costs.
package benchcpu

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Now returns the CPU time (user and system) the process has used so far,
// or 0 where the system cannot tell.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report reports the process's CPU time per operation since start (a Now
// reading) as the metric cpu-µs/op, over b.N operations.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((Now()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// Spread runs op(i) for i from 0 to b.N-1 on n goroutines at once, as a
// pool of n workers takes tasks, and returns when all are done. The first
// error fails b, and the workers stop taking work.
func Spread(b *testing.B, n int, op func(i int) error) {
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := op(i); err != nil {
					failed.Store(true)
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
