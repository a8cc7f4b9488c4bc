package layer

import (
	"bytes"
	"strings"
	"sync"
)

// An ostree-encapsulated image (every Fedora CoreOS and bootc base, and
// whatever `ostree container encapsulate` or `rpm-ostree compose image`
// writes) carries its ostree repository at sysroot/ostree/repo: every
// content object once per layer as objects/XX/<62 hex>.file, and every
// path of the checkout (usr/bin/bash, etc/passwd) as a tar hardlink to
// its object. The repository is how the bytes travel, not part of the
// operating system: a booted machine has no /sysroot/ostree in its
// deployment, and trees built from images leave it out (see Checkout).
const (
	ostreeDir     = "sysroot/ostree"
	ostreeRepo    = ostreeDir + "/repo"
	ostreeObjects = ostreeRepo + "/objects/"
)

// isOstreeObject reports whether the clean path p is a content object of
// an encapsulated image's repository: objects/XX/<62 hex digits>.file.
func isOstreeObject(p string) bool {
	rest, ok := strings.CutPrefix(p, ostreeObjects)
	if !ok || len(rest) != 2+1+62+len(".file") || rest[2] != '/' || !strings.HasSuffix(rest, ".file") {
		return false
	}
	for i, c := range rest[:2+1+62] {
		if i == 2 {
			continue
		}
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkout removes an encapsulated image's ostree repository from the
// tree, leaving the filesystem a deployment of the image shows: the
// checkout paths keep their content and metadata (they were hardlinks to
// the objects), /sysroot stays as the commit has it. Encapsulated is set
// when the repository holds a commit. A tree without
// sysroot/ostree/repo/objects is left alone: on a booted system's rootfs,
// /sysroot/ostree is the real repository and deployments, and oslayer is
// not asked to hide them.
func (t *Tree) checkout() {
	repo := t.Lookup(ostreeRepo)
	if repo == nil || repo.Type != TypeDir {
		return
	}
	objects := repo.Child("objects")
	if objects == nil || objects.Type != TypeDir {
		return
	}
	for _, dir := range objects.all() {
		for _, obj := range dir.all() {
			if strings.HasSuffix(obj.Name, ".commit") {
				t.Encapsulated = true
			}
		}
	}
	t.Lookup("sysroot").removeChild("ostree")
}

// maxObjectCapture bounds the bytes of one object held in memory while its
// hardlinks are read (see lastObject): every object up to it is copied, in
// case a kept path links to it. The kept files are small but for package
// databases; a bigger rpmdb.sqlite is read again from its layer, once.
const maxObjectCapture = 4 << 20

// lastObject is the content object just read from an encapsulated layer.
// Its checkout paths follow it as hardlinks; when one of them is a kept
// path (a package database, /etc/passwd), the content is stored from here
// and the layer need not be read again. Bigger objects, and links that do
// not follow their object (a derived layer of the vfs driver, say), are
// fetched once the tree is merged (see Loader.keepContent).
type lastObject struct {
	path   string
	digest Digest
	data   *bytes.Buffer // from objectBufs, when an object was copied
	stored bool
}

// objectBufs keep the copies' buffers from layer to layer: each grows to
// the biggest object copied, at most maxObjectCapture, once.
var objectBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// release gives the buffer back for the next layer.
func (o *lastObject) release() {
	if o.data != nil {
		objectBufs.Put(o.data)
		o.data = nil
	}
}

// wanted reports whether the entry about to be read should be copied into
// o.data, and empties o.data if so.
func (o *lastObject) wanted(e *Entry, capture Capture, store *Store, digest bool) bool {
	if !digest || capture == nil || store == nil || e.Size > maxObjectCapture || !isOstreeObject(e.Path) {
		return false
	}
	if o.data == nil {
		o.data = objectBufs.Get().(*bytes.Buffer)
	}
	o.data.Reset()
	return true
}

// read records the regular file entry just read; buffered says whether its
// content is in o.data.
func (o *lastObject) read(e *Entry, buffered bool) {
	o.path, o.digest, o.stored = "", e.Digest, false
	if buffered {
		o.path = e.Path
	}
}

// keep stores the object's content, once.
func (o *lastObject) keep(store *Store) error {
	if o.stored {
		return nil
	}
	o.stored = true
	return store.put(o.digest, o.data.Bytes())
}
