package timing

import (
	"sync"
	"time"
	_ "time/tzdata" // the zones are the same on every machine, with or without a zone database
)

// locations are the zones of the tables above, loaded once: time.LoadLocation reads and parses
// the zone database on every call. A zone the system cannot load is left out, and Zone falls
// back for it.
var locations = func() map[string]*time.Location {
	out := map[string]*time.Location{}
	add := func(name string) {
		if _, ok := out[name]; ok {
			return
		}
		if l, err := time.LoadLocation(name); err == nil {
			out[name] = l
		}
	}
	for _, name := range zones {
		add(name)
	}
	for _, regions := range regionZones {
		for _, name := range regions {
			add(name)
		}
	}
	return out
}()

// otherLocations holds the zones outside the tables above that LoadLocation was asked for.
var otherLocations sync.Map // name -> *time.Location

// LoadLocation is time.LoadLocation for a zone name, each zone parsed once per process: the
// engine names a case's zone on every decision.
func LoadLocation(name string) (*time.Location, error) {
	if l, ok := locations[name]; ok {
		return l, nil
	}
	if l, ok := otherLocations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	otherLocations.Store(name, l)
	return l, nil
}
