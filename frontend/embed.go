//go:build embedui

package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// FS is the built single-page application (the contents of dist/), served
// by the API at /. Build it with `npm run build` (or `make run`) before
// compiling with -tags embedui.
var FS fs.FS = mustSub(dist, "dist")

// built tells tests which FS this build carries.
const built = true

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("frontend: " + err.Error())
	}
	return sub
}
