package cache

import (
	"errors"
	"slices"
	"testing"

	"github.com/recoup-hq/recoup"
)

func TestCases(t *testing.T) {
	cc := NewCases(true)
	c := recoup.Case{ID: 1, InvoiceID: "in_1", Version: 2, State: recoup.StateScheduled,
		NextAction: &recoup.Action{Seq: 1, Kind: recoup.ActionRetry}}
	cc.Put(map[int64]recoup.Case{1: c})
	got, ok := cc.Get(1, 2)
	if !ok || got.InvoiceID != "in_1" {
		t.Fatalf("Get at its version: %+v, %v", got, ok)
	}
	got.NextAction.Seq = 9 // a copy: the cache keeps its own
	if again, _ := cc.Current(1); again.NextAction.Seq != 1 {
		t.Error("a change to a case handed out reached the cache")
	}
	if _, ok := cc.Get(1, 3); ok {
		t.Error("Get at another version found the case")
	}
	if got, ok := cc.CurrentOfInvoice("in_1"); !ok || got.ID != 1 {
		t.Errorf("CurrentOfInvoice: %+v, %v", got, ok)
	}
	old := c
	old.Version = 1
	cc.Put(map[int64]recoup.Case{1: old})
	if _, ok := cc.Get(1, 2); !ok {
		t.Error("an earlier version replaced a later one")
	}
	moved := c
	moved.InvoiceID, moved.Version = "in_2", 3
	cc.Put(map[int64]recoup.Case{1: moved})
	if _, ok := cc.CurrentOfInvoice("in_1"); ok {
		t.Error("the case is still found under its former invoice")
	}
	done := moved
	done.State, done.Version = recoup.StateRecovered, 4
	cc.Put(map[int64]recoup.Case{1: done})
	if _, ok := cc.Current(1); ok {
		t.Error("a resolved case stayed in the cache")
	}
	cc.Put(map[int64]recoup.Case{2: {ID: 2, InvoiceID: "in_3", Version: 1, State: recoup.StateScheduled}})
	cc.Remove(2)
	if _, ok := cc.CurrentOfInvoice("in_3"); ok {
		t.Error("a removed case is still cached")
	}

	shared := NewCases(false)
	shared.Put(map[int64]recoup.Case{1: c})
	if _, ok := shared.Current(1); ok {
		t.Error("a cache of a database with other writers says its case is current")
	}
	if _, ok := shared.Get(1, 2); !ok {
		t.Error("a cache of a database with other writers does not answer by version")
	}
}

func TestCasesBound(t *testing.T) {
	cc := NewCases(true)
	for id := int64(1); id <= CaseCacheSize+10; id++ {
		cc.Put(map[int64]recoup.Case{id: {ID: id, Version: 1, State: recoup.StateScheduled}})
	}
	if n := len(cc.m); n != CaseCacheSize {
		t.Errorf("%d cases cached, bound %d", n, CaseCacheSize)
	}
}

func TestEvents(t *testing.T) {
	var none *Events
	if _, ok := none.Get("evt_1"); ok {
		t.Error("a nil map holds an event")
	}
	none.Committed([]recoup.Event{{ID: "evt_1"}}, nil) // no panic
	p := NewEvents()
	p.Committed([]recoup.Event{{ID: "evt_1", Payload: []byte(`{}`)}, {ID: "evt_2"}}, nil)
	ev, ok := p.Get("evt_1")
	if !ok {
		t.Fatal("a stored event is not held")
	}
	ev.Payload[0] = 'x'
	if again, _ := p.Get("evt_1"); string(again.Payload) != `{}` {
		t.Error("a change to an event handed out reached the map")
	}
	p.Committed(nil, []string{"evt_1"})
	if _, ok := p.Get("evt_1"); ok {
		t.Error("an event with its status set is still held")
	}
	if _, ok := p.Get("evt_2"); !ok {
		t.Error("another event left")
	}
}

func TestObservations(t *testing.T) {
	largest := func(id int64) func() (int64, error) { return func() (int64, error) { return id, nil } }
	ids := func(obs []recoup.Observation) (out []int64) {
		for _, o := range obs {
			out = append(out, o.ID)
		}
		return out
	}
	fail := errors.New("read failed")
	var l Observations
	if _, _, err := l.Since("m", 5, 10, nil, func() (int64, error) { return 0, fail }); !errors.Is(err, fail) {
		t.Fatalf("a failed first read: %v", err)
	}
	if out, ok, err := l.Since("m", 5, 10, nil, largest(5)); err != nil || !ok || len(out) != 0 {
		t.Fatalf("from the table's largest ID: %v, %v, %v", out, ok, err)
	}
	if _, ok, _ := l.Since("m", 4, 10, nil, largest(5)); ok {
		t.Error("the log answered for an observation older than it")
	}
	l.Committed([]recoup.Observation{{ID: 6, Model: "m", Features: []string{"a"}}, {ID: 7, Model: "other"}, {ID: 8, Model: "m"}}, false)
	out, ok, _ := l.Since("m", 5, 10, []recoup.Observation{{ID: 9, Model: "m"}}, largest(0))
	if !ok || !slices.Equal(ids(out), []int64{6, 8, 9}) {
		t.Errorf("after 5 with one pending: %v, %v", ids(out), ok)
	}
	out[0].Features[0] = "x"
	if out, _, _ := l.Since("m", 5, 1, nil, largest(0)); !slices.Equal(ids(out), []int64{6}) || out[0].Features[0] != "a" {
		t.Errorf("after 5, one: %+v", out)
	}
	if _, ok, _ := l.Since("m", 5, 10, nil, largest(0)); !ok {
		t.Error("a read at the point read past is not answered")
	}
	l.Since("m", 6, 10, nil, largest(0)) // drops 6 and below
	if _, ok, _ := l.Since("m", 5, 10, nil, largest(0)); ok {
		t.Error("the log answered below what it dropped")
	}
	l.Committed(nil, true)
	if _, ok, _ := l.Since("m", 8, 10, nil, largest(0)); ok {
		t.Error("the log answered after an observation it could not hold")
	}
}

func TestKeySet(t *testing.T) {
	var nilSet *KeySet[string]
	if none, err := nilSet.None("a", nil); none || err != nil {
		t.Errorf("a nil set: %v, %v", none, err)
	}
	nilSet.Add("a")
	var s KeySet[string]
	s.Add("early") // before loading: the load finds its row
	fail := errors.New("load failed")
	if _, err := s.None("a", func(func(string)) error { return fail }); !errors.Is(err, fail) {
		t.Fatalf("a failed load: %v", err)
	}
	loads := 0
	load := func(add func(string)) error { loads++; add("a"); return nil }
	for _, k := range []string{"a", "b"} {
		none, err := s.None(k, load)
		if err != nil || none != (k == "b") {
			t.Errorf("None(%s): %v, %v", k, none, err)
		}
	}
	s.Add("b")
	if none, _ := s.None("b", load); none {
		t.Error("a key added after loading has no row")
	}
	if loads != 1 {
		t.Errorf("loaded %d times, want once (the failed load not counted)", loads)
	}
}
