package sqlitestore

import (
	"context"
	"io/fs"
)

// Migrate applies the migrations in fsys, for tests of failed migrations.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS) error { return s.migrate(ctx, fsys) }

// CommitStats returns how many transactions the write combiner has run
// and how many operations they carried, for benchmarks.
func (s *Store) CommitStats() (commits, ops int64) { return s.stats.batches.Load(), s.stats.ops.Load() }
