package layer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	stypes "go.podman.io/storage/types"
)

// TransportContainersStorage is podman's and buildah's local image store:
// containers-storage:[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]NAME[:TAG|@DIGEST],
// or an image ID.
const TransportContainersStorage = "containers-storage"

// storeRef is a containers-storage reference resolved against its store.
type storeRef struct {
	store storage.Store
	ref   types.ImageReference
	name  string // as the user wrote it, without the store
}

// parseStoreRef parses the part of a containers-storage reference after
// the transport as containers/image does: an optional store specifier in
// brackets, then a name, name:tag, name@digest or image ID, which the
// storage transport itself parses. The store is opened (and created when
// missing, as podman does); release it with releaseStore.
func parseStoreRef(s string) (*storeRef, error) {
	spec, name := "", s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 1 {
			return nil, fmt.Errorf("store specifier in %q does not end with ]", s)
		}
		spec, name = s[1:end], s[end+1:]
	}
	if name == "" {
		return nil, fmt.Errorf("no image name in %q", s)
	}
	opts, err := storeOptions(spec)
	if err != nil {
		return nil, err
	}
	store, err := acquireStore(opts)
	if err != nil {
		return nil, err
	}
	ref, err := istorage.Transport.ParseStoreReference(store, name)
	if err != nil {
		releaseStore(store)
		return nil, err
	}
	return &storeRef{store: store, ref: ref, name: name}, nil
}

// storeOptions reads a store specifier: [DRIVER@]GRAPHROOT[+RUNROOT][:OPTIONS],
// as containers/image reads it; what it leaves out comes from
// storage.conf (CONTAINERS_STORAGE_CONF, /etc/containers/storage.conf, the
// rootless defaults). An empty specifier is the default store.
func storeOptions(spec string) (stypes.StoreOptions, error) {
	if spec == "" {
		return storage.DefaultStoreOptions()
	}
	var o stypes.StoreOptions
	driver, rest, found := strings.Cut(spec, "@")
	if found {
		if driver == "" || rest == "" {
			return o, fmt.Errorf("store specifier [%s]: want [DRIVER@GRAPHROOT+RUNROOT]", spec)
		}
		o.GraphDriverName, spec = driver, rest
	}
	spec, options, found := strings.Cut(spec, ":")
	if found {
		o.GraphDriverOptions = strings.Split(options, ",")
	}
	o.GraphRoot, o.RunRoot, _ = strings.Cut(spec, "+")
	for _, p := range []string{o.GraphRoot, o.RunRoot} {
		if p != "" && !filepath.IsAbs(p) {
			return o, fmt.Errorf("store specifier: %q is not an absolute path", p)
		}
	}
	if o.GraphRoot == "" && o.RunRoot == "" {
		return o, errors.New("store specifier names no graph root")
	}
	return o, nil
}

// Stores are shared by the images opened from them (storage.GetStore
// returns one store per graph root) and shut down when the last is closed.
var stores struct {
	sync.Mutex
	users map[storage.Store]int
}

func acquireStore(o stypes.StoreOptions) (storage.Store, error) {
	store, err := storage.GetStore(o)
	if err != nil {
		return nil, fmt.Errorf("opening the store at %s: %w", o.GraphRoot, err)
	}
	stores.Lock()
	defer stores.Unlock()
	if stores.users == nil {
		stores.users = map[storage.Store]int{}
	}
	stores.users[store]++
	return store, nil
}

func releaseStore(store storage.Store) {
	stores.Lock()
	defer stores.Unlock()
	if stores.users[store]--; stores.users[store] > 0 {
		return
	}
	delete(stores.users, store)
	store.Shutdown(false)
}

// defaultStore returns the default store's graph root and whether it has
// been created: looking for a base there must not create one.
func defaultStore() (string, bool) {
	o, err := storage.DefaultStoreOptions()
	if err != nil || o.GraphRoot == "" {
		return "", false
	}
	_, err = os.Stat(filepath.Join(o.GraphRoot, "storage.lock"))
	return o.GraphRoot, err == nil
}

// StoreImageNames lists the names of the images in the default
// containers-storage store (for shell completion), none when it does not
// exist.
func StoreImageNames() ([]string, error) {
	if _, ok := defaultStore(); !ok {
		return nil, nil
	}
	o, err := storage.DefaultStoreOptions()
	if err != nil {
		return nil, err
	}
	store, err := acquireStore(o)
	if err != nil {
		return nil, err
	}
	defer releaseStore(store)
	imgs, err := store.Images()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Names...)
	}
	return names, nil
}

// storeCloser releases a store when an image read from it is closed.
type storeCloser struct{ store storage.Store }

func (c storeCloser) Close() error {
	releaseStore(c.store)
	return nil
}

var _ io.Closer = storeCloser{}
