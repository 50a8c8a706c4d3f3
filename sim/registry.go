package sim

import (
	"fmt"
	"sort"
	"sync"
)

// Factory makes a fresh world for one run.
type Factory func() World

var registry = struct {
	sync.Mutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes a world available by name to `recoup simulate --world`. It is meant to be
// called from the init function of the world's own file (like database/sql drivers), so that
// adding a world is adding one file; it panics on a duplicate or empty name.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || f == nil {
		panic("sim: Register needs a name and a factory")
	}
	if _, dup := registry.m[name]; dup {
		panic("sim: world " + name + " registered twice")
	}
	registry.m[name] = f
}

// Worlds lists the registered worlds' names, sorted.
func Worlds() []string {
	registry.Lock()
	defer registry.Unlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewWorld returns a fresh world by name.
func NewWorld(name string) (World, error) {
	registry.Lock()
	f, ok := registry.m[name]
	registry.Unlock()
	if !ok {
		return nil, fmt.Errorf("unknown world %q (known: %v)", name, Worlds())
	}
	return f(), nil
}
