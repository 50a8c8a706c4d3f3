package timing

import (
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
