//go:build !embedui

package frontend

import (
	"embed"
	"io/fs"
)

//go:embed placeholder/index.html
var placeholder embed.FS

// FS is a placeholder whose index.html says that the web interface was not
// built and how to build it (`make run`). It is what a binary built without
// the embedui tag serves, e.g. from a fresh checkout where Node never ran.
var FS fs.FS = mustSub(placeholder, "placeholder")

// built tells tests which FS this build carries.
const built = false

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("frontend: " + err.Error())
	}
	return sub
}
