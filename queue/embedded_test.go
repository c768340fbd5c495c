package queue

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestEmbeddedExpiresKeys(t *testing.T) {
	e, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r, err := RedisFromURL(e.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.rdb.Set(ctx, "short", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.rdb.Set(ctx, "forever", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n := r.rdb.Exists(ctx, "short").Val(); n != 1 {
		t.Fatal("key with a 1 s TTL gone at once")
	}
	eventually(t, 5*time.Second, "key with a 1 s TTL expired", func() bool { return r.rdb.Exists(ctx, "short").Val() == 0 })
	if n := r.rdb.Exists(ctx, "forever").Val(); n != 1 {
		t.Error("key without TTL expired")
	}
	addr := e.Addr()
	e.Close()
	e.Close() // again: no effect
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}
