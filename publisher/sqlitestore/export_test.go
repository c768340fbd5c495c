package sqlitestore

import (
	"context"
	"io/fs"
)

// Migrate applies the migrations in fsys, for tests of failed migrations.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS) error { return s.migrate(ctx, fsys) }
