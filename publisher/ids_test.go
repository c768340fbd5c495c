package publisher

import (
	"sync"
	"testing"
)

// TestNewIDIsStrictlyIncreasing: ids made in one millisecond, from several
// goroutines, still sort in the order they were made, and never repeat.
func TestNewIDIsStrictlyIncreasing(t *testing.T) {
	const n = 20000
	prev := NewID()
	for i := 0; i < n; i++ {
		id := NewID()
		if id <= prev {
			t.Fatalf("id %d: %s does not sort after %s", i, id, prev)
		}
		if len(id) != 24 || !ValidID(id) {
			t.Fatalf("id %q is not 24 characters of the id alphabet", id)
		}
		prev = id
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/8; i++ {
				id := NewID()
				mu.Lock()
				if seen[id] {
					t.Errorf("id %s made twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestAddToCarries(t *testing.T) {
	tests := []struct {
		in   []byte
		n    uint64
		want []byte
	}{
		{[]byte{0, 0, 1}, 1, []byte{0, 0, 2}},
		{[]byte{0, 0, 0xff}, 1, []byte{0, 1, 0}},
		{[]byte{0, 0xff, 0xff}, 2, []byte{1, 0, 1}},
		{[]byte{0, 0x10, 0xf0}, 0x1020, []byte{0, 0x21, 0x10}},
		{[]byte{0, 0, 0}, 0xffffff, []byte{0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		b := append([]byte(nil), tt.in...)
		addTo(b, tt.n)
		if string(b) != string(tt.want) {
			t.Errorf("addTo(%x, %#x) = %x, want %x", tt.in, tt.n, b, tt.want)
		}
	}
}
