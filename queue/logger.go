package queue

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hibiken/asynq"
)

// slogLogger adapts a *slog.Logger to asynq.Logger. asynq's messages are
// logged with the attribute component=asynq at the matching slog level.
type slogLogger struct {
	l *slog.Logger
}

var _ asynq.Logger = slogLogger{}

// newLogger returns an asynq.Logger that writes to l.
func newLogger(l *slog.Logger) asynq.Logger {
	return slogLogger{l: l.With("component", "asynq")}
}

func (a slogLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	a.l.Log(ctx, level, fmt.Sprint(args...))
}

// Debug logs at slog.LevelDebug.
func (a slogLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }

// Info logs at slog.LevelInfo.
func (a slogLogger) Info(args ...any) { a.log(slog.LevelInfo, args) }

// Warn logs at slog.LevelWarn.
func (a slogLogger) Warn(args ...any) { a.log(slog.LevelWarn, args) }

// Error logs at slog.LevelError.
func (a slogLogger) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal logs at slog.LevelError with fatal=true and exits with status 1,
// as asynq.Logger requires. (asynq v0.26 never calls it.)
func (a slogLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "fatal", true)
	os.Exit(1)
}
