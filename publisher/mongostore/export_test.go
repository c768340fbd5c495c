package mongostore

import "go.mongodb.org/mongo-driver/v2/bson"

// IndexSpec is an index the store creates, for tests.
type IndexSpec struct {
	Name   string
	Keys   bson.D
	Unique bool
}

// Indexes returns the indexes Open creates, by collection.
func Indexes() map[string][]IndexSpec {
	out := map[string][]IndexSpec{}
	for coll, ixs := range indexes {
		for _, ix := range ixs {
			out[coll] = append(out[coll], IndexSpec{Name: ix.name, Keys: ix.keys, Unique: ix.unique})
		}
	}
	return out
}

// StoreError is storeError, for tests.
var StoreError = storeError
