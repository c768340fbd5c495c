package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

func TestMeasureRawThroughput(t *testing.T) {
	ctx := context.Background()
	r := testRedis(t)
	rate, err := MeasureRawThroughput(ctx, r, 300, 10)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Errorf("rate %f", rate)
	}
	t.Logf("raw asynq throughput: %.0f tasks/s", rate)
	qs, err := asynq.NewInspectorFromRedisClient(r.rdb).Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if strings.HasPrefix(q, benchQueuePrefix) {
			t.Errorf("scratch queue %s left behind", q)
		}
	}
	keys, err := r.rdb.Keys(ctx, "asynq:{"+benchQueuePrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("scratch keys left behind: %v", keys)
	}
	if _, err := MeasureRawThroughput(ctx, r, 0, 10); err == nil {
		t.Error("n = 0: nil error")
	}
}

func TestMeasureRawThroughputCancelled(t *testing.T) {
	r := testRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureRawThroughput(ctx, r, 100, 2); err == nil {
		t.Error("cancelled context: nil error")
	}
	keys, err := r.rdb.Keys(context.Background(), "asynq:{"+benchQueuePrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("scratch keys left behind: %v", keys)
	}
}
