package facebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/prasar/prasar/connectors/facebook"
	"github.com/prasar/prasar/publisher"
)

func TestFetchMetrics(t *testing.T) {
	tests := []struct {
		name        string
		metrics     []string
		unavailable []string
	}{
		{"current metrics", nil, nil},
		{"a removed metric does not fail the rest", []string{"post_total_media_view_unique", "post_impressions", "post_activity_by_action_type"}, []string{"post_impressions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, facebook.Config{Metrics: tt.metrics})
			ctx := context.Background()
			pub, err := e.fb.Publish(ctx, account, e.cred, publisher.Message{Text: "किसान मेला कल करनाल में"})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(6 * time.Hour)
			first, err := e.fb.FetchMetrics(ctx, account, e.cred, pub.ExternalID)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(48 * time.Hour)
			later, err := e.fb.FetchMetrics(ctx, account, e.cred, pub.ExternalID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{"post_total_media_view_unique", "post_activity_by_action_type.comment", "post_activity_by_action_type.share"} {
				if _, ok := later.Values[m]; !ok {
					t.Errorf("no %s in %v", m, later.Values)
				}
			}
			if later.Values["post_total_media_view_unique"] <= first.Values["post_total_media_view_unique"] {
				t.Errorf("reach did not grow: %d then %d", first.Values["post_total_media_view_unique"], later.Values["post_total_media_view_unique"])
			}
			if len(later.Unavailable) != len(tt.unavailable) {
				t.Errorf("unavailable = %v, want %v", later.Unavailable, tt.unavailable)
			}
			for _, m := range tt.unavailable {
				if later.Unavailable[m] == "" {
					t.Errorf("%s not reported unavailable with Facebook's words: %v", m, later.Unavailable)
				}
			}
		})
	}
	t.Run("an expired token fails the reading as auth", func(t *testing.T) {
		e := newEnv(t, facebook.Config{})
		pub, err := e.fb.Publish(context.Background(), account, e.cred, publisher.Message{Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.fb.FetchMetrics(context.Background(), account, publisher.Credentials{AccessToken: "not-a-token"}, pub.ExternalID)
		if pe := asPlatformError(t, err); pe.Class != publisher.ClassAuth {
			t.Errorf("class %s", pe.Class)
		}
	})
}
