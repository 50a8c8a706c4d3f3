package timing

import (
	"sync"
	"time"
)

var locations sync.Map // name -> *time.Location

// loadLocation is time.LoadLocation, remembered: it reads the zone database on every call.
func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}
