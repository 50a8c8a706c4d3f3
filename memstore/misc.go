package memstore

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/updatelink"
)

// What learned models learn from, and their snapshots. One transaction runs at a time, so
// observation IDs are given in commit order.

// observation is an observation as the store keeps it: its features as indexes in the store's
// list of feature names. An observation has 20 to 80 features, drawn from a few hundred names,
// and the observations are kept until the run ends: as strings they were a sixth of what a
// simulation keeps on the heap, and the densest part in pointers for the collector to follow.
type observation struct {
	ID       int64
	Kind     recoup.ObservationKind
	Success  bool
	At       time.Time
	Source   string
	features []uint32
}

// observationFields are recoup.Observation's fields: the conversion below stops compiling when
// they change, so that observation and Observations keep up with them.
type observationFields struct {
	ID       int64
	Model    string
	Kind     recoup.ObservationKind
	Features []string
	Success  bool
	At       time.Time
	Source   string
}

var _ = recoup.Observation(observationFields{})

// features is a list of feature names, each once, and the index of each.
type features struct {
	names []string
	index map[string]uint32
}

// indexes returns the indexes of names, adding those not in the list. Names a rolled-back
// transaction added stay: they change nothing read back.
func (f *features) indexes(names []string) []uint32 {
	if f.index == nil {
		f.index = map[string]uint32{}
	}
	out := make([]uint32, len(names))
	for i, n := range names {
		k, ok := f.index[n]
		if !ok {
			k = uint32(len(f.names))
			f.names = append(f.names, n)
			f.index[n] = k
		}
		out[i] = k
	}
	return out
}

func (t *tx) AddObservation(o *recoup.Observation) error {
	if err := t.live("add observation"); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	t.d.ids.observation++
	o.ID = t.d.ids.observation
	s := observation{ID: o.ID, Kind: o.Kind, Success: o.Success, At: stored(o.At), Source: o.Source,
		features: t.d.features.indexes(o.Features)}
	model := o.Model
	list := t.d.observations[model]
	n := len(list)
	t.d.observations[model] = append(list, s)
	t.onUndo(func() { t.d.observations[model] = t.d.observations[model][:n] })
	return nil
}

func (t *tx) Observations(model string, after int64, limit int) ([]recoup.Observation, error) {
	if err := t.live("read observations"); err != nil {
		return nil, err
	}
	list := t.d.observations[model]
	i := sort.Search(len(list), func(i int) bool { return list[i].ID > after })
	list = limited(list[i:], limit)
	out := make([]recoup.Observation, len(list))
	for k, s := range list {
		// Features as the SQL stores return them: decoded from a JSON array, never nil.
		fs := make([]string, len(s.features))
		for j, f := range s.features {
			fs[j] = t.d.features.names[f]
		}
		out[k] = recoup.Observation{ID: s.ID, Model: model, Kind: s.Kind, Features: fs, Success: s.Success, At: s.At, Source: s.Source}
	}
	return out, nil
}

func (t *tx) ModelSnapshot(model string) (recoup.ModelSnapshot, error) {
	if err := t.live("read model snapshot"); err != nil {
		return recoup.ModelSnapshot{}, err
	}
	s, ok := t.d.snapshots[model]
	if !ok {
		return recoup.ModelSnapshot{Model: model}, recoup.Errorf(recoup.ENOTFOUND, "model %s has no snapshot", model)
	}
	s.State = append([]byte{}, s.State...)
	return s, nil
}

func (t *tx) SaveModelSnapshot(s recoup.ModelSnapshot) error {
	if err := t.live("save model snapshot"); err != nil {
		return err
	}
	if old, ok := t.d.snapshots[s.Model]; ok && s.UpTo <= old.UpTo {
		return nil
	}
	s.State, s.At = append([]byte{}, s.State...), stored(s.At)
	setKey(t, t.d.snapshots, s.Model, s)
	return nil
}

// The suppression list: customers who receive nothing more on a channel.

func (t *tx) InsertSuppression(s *recoup.Suppression) error {
	if err := t.live("insert suppression"); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert suppression of %s on %s: %w", s.CustomerID, s.Channel, err)
	}
	k := [2]string{s.CustomerID, s.Channel}
	if _, ok := t.d.suppressions[k]; ok {
		return nil // the first record stands
	}
	c := *s
	c.CreatedAt = stored(c.CreatedAt)
	setKey(t, t.d.suppressions, k, c)
	return nil
}

func (t *tx) Suppression(customerID, channel string) (recoup.Suppression, error) {
	if err := t.live("read suppression"); err != nil {
		return recoup.Suppression{}, err
	}
	s, ok := t.d.suppressions[[2]string{customerID, channel}]
	if !ok {
		return recoup.Suppression{}, recoup.Errorf(recoup.ENOTFOUND, "no suppression of %s on %s", customerID, channel)
	}
	return s, nil
}

// Notices: messages to customers outside any case, at most one per kind and key, stored with
// their links redacted as messages are.

func (t *tx) InsertNotice(n *recoup.Notice) error {
	if err := t.live("insert notice"); err != nil {
		return err
	}
	if err := n.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "insert notice %s %s: %w", n.Kind, n.Key, err)
	}
	k := [2]string{n.Kind, n.Key}
	if _, ok := t.d.noticeByKey[k]; ok {
		return recoup.Errorf(recoup.ECONFLICT, "insert notice %s %s: the notice exists", n.Kind, n.Key)
	}
	t.d.ids.notice++
	s := *n
	s.ID = t.d.ids.notice
	s.Subject, s.Text, s.HTML = updatelink.Redact(n.Subject), updatelink.Redact(n.Text), updatelink.Redact(n.HTML)
	s.DueAt, s.CreatedAt, s.SentAt = stored(n.DueAt), stored(n.CreatedAt), stored(n.SentAt)
	setKey(t, t.d.notices, s.ID, s)
	setKey(t, t.d.noticeByKey, k, s.ID)
	n.ID = s.ID
	return nil
}

func (t *tx) UpdateNotice(n *recoup.Notice) error {
	if err := t.live("update notice"); err != nil {
		return err
	}
	if err := n.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "update notice %d: %w", n.ID, err)
	}
	s, ok := t.d.notices[n.ID]
	if !ok {
		return recoup.Errorf(recoup.ENOTFOUND, "update notice %d: no such notice", n.ID)
	}
	s.To, s.Subject, s.Text, s.HTML = n.To, updatelink.Redact(n.Subject), updatelink.Redact(n.Text), updatelink.Redact(n.HTML)
	s.Status, s.Error, s.SentAt = n.Status, n.Error, stored(n.SentAt)
	setKey(t, t.d.notices, n.ID, s)
	return nil
}

func (t *tx) NoticeByKey(kind, key string) (recoup.Notice, error) {
	if err := t.live("read notice"); err != nil {
		return recoup.Notice{}, err
	}
	id, ok := t.d.noticeByKey[[2]string{kind, key}]
	if !ok {
		return recoup.Notice{}, recoup.Errorf(recoup.ENOTFOUND, "no such notice (%s %s)", kind, key)
	}
	return t.d.notices[id], nil
}

func (t *tx) Notice(id int64) (recoup.Notice, error) {
	if err := t.live("read notice"); err != nil {
		return recoup.Notice{}, err
	}
	n, ok := t.d.notices[id]
	if !ok {
		return recoup.Notice{}, recoup.Errorf(recoup.ENOTFOUND, "no such notice (%d)", id)
	}
	return n, nil
}

// Payment-method changes: the newest per customer (see recoup.PaymentMethodChange). One
// transaction runs at a time, so the customer needs no lock.

func (t *tx) RecordPaymentMethodChange(ch *recoup.PaymentMethodChange) error {
	if err := t.live("record payment method change"); err != nil {
		return err
	}
	if err := ch.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "record payment method change of %s: %w", ch.CustomerID, err)
	}
	n := *ch
	n.At = stored(n.At)
	if old, ok := t.d.changes[ch.CustomerID]; ok {
		if n.At.Before(old.At) {
			return nil // the one kept is later
		}
		if n.At.Equal(old.At) && n.PaymentMethodID == old.PaymentMethodID {
			n.Refreshed = n.Refreshed || old.Refreshed
		}
	}
	setKey(t, t.d.changes, ch.CustomerID, n)
	return nil
}

func (t *tx) PaymentMethodChange(customerID string) (recoup.PaymentMethodChange, error) {
	if err := t.live("read payment method change"); err != nil {
		return recoup.PaymentMethodChange{}, err
	}
	ch, ok := t.d.changes[customerID]
	if !ok {
		return recoup.PaymentMethodChange{}, recoup.Errorf(recoup.ENOTFOUND, "no payment method change of %s", customerID)
	}
	return ch, nil
}

func (t *tx) PrunePaymentMethodChanges(before time.Time) (int, error) {
	if err := t.live("prune payment method changes"); err != nil {
		return 0, err
	}
	if before.IsZero() {
		return 0, nil // as SQL's comparison with NULL: nothing is before no time
	}
	n := 0
	for k, ch := range t.d.changes {
		if ch.At.UnixMicro() < before.UnixMicro() {
			t.onUndo(func() { t.d.changes[k] = ch })
			delete(t.d.changes, k)
			n++
		}
	}
	return n, nil
}

// Experiments: each customer's first assignment, in the order they were made, and each
// experiment's state.

// assignment is an assignment with its place in the order they were made.
type assignment struct {
	recoup.Assignment
	seq int64
}

func (t *tx) Assignment(experiment, customerID string) (recoup.Assignment, error) {
	if err := t.live("read assignment"); err != nil {
		return recoup.Assignment{}, err
	}
	a, ok := t.d.assignments[[2]string{experiment, customerID}]
	if !ok {
		return recoup.Assignment{}, recoup.Errorf(recoup.ENOTFOUND, "customer %s has no arm in experiment %s", customerID, experiment)
	}
	return a.Assignment, nil
}

func (t *tx) InsertAssignment(a *recoup.Assignment) error {
	if err := t.live("insert assignment"); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	k := [2]string{a.Experiment, a.CustomerID}
	if _, ok := t.d.assignments[k]; ok {
		return recoup.Errorf(recoup.ECONFLICT, "assign customer %s to arm %s of experiment %s: the customer has an arm already",
			a.CustomerID, a.Arm, a.Experiment)
	}
	t.d.ids.assignment++
	s := assignment{Assignment: *a, seq: t.d.ids.assignment}
	s.AssignedAt = stored(s.AssignedAt)
	setKey(t, t.d.assignments, k, s)
	return nil
}

// Assignments returns the experiment's assignments in the order they were made.
func (s *Store) Assignments(experiment string) []recoup.Assignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []assignment
	for _, a := range s.d.assignments {
		if a.Experiment == experiment {
			list = append(list, a)
		}
	}
	slices.SortFunc(list, func(a, b assignment) int { return int(a.seq - b.seq) })
	out := make([]recoup.Assignment, len(list))
	for i, a := range list {
		out[i] = a.Assignment
	}
	return out
}

func (t *tx) Experiment(name string) (recoup.Experiment, error) {
	if err := t.live("read experiment"); err != nil {
		return recoup.Experiment{}, err
	}
	e, ok := t.d.experiments[name]
	if !ok {
		return recoup.Experiment{}, recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
	}
	return e, nil
}

func (t *tx) StartExperiment(name string, at time.Time) error {
	if err := t.live("start experiment"); err != nil {
		return err
	}
	if name == "" || at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "start experiment %q: a name and a time are needed", name)
	}
	if _, ok := t.d.experiments[name]; !ok {
		setKey(t, t.d.experiments, name, recoup.Experiment{Name: name, StartedAt: stored(at)})
	}
	return nil
}

func (t *tx) EndExperiment(name string, at time.Time, by, promotedArm string) error {
	if err := t.live("end experiment"); err != nil {
		return err
	}
	if at.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "end experiment %s: no time", name)
	}
	e, ok := t.d.experiments[name]
	switch {
	case !ok:
		return recoup.Errorf(recoup.ENOTFOUND, "no experiment %s", name)
	case e.Ended():
		return recoup.Errorf(recoup.ECONFLICT, "end experiment %s: it has ended already", name)
	}
	e.EndedAt, e.EndedBy, e.PromotedArm = stored(at), by, promotedArm
	setKey(t, t.d.experiments, name, e)
	return nil
}

// ArmOutcomes reads the counts the store keeps as cases are written (case.go's countArm).
func (t *tx) ArmOutcomes(experiment, stratum string) ([]recoup.ArmOutcome, error) {
	if err := t.live("read arm outcomes"); err != nil {
		return nil, err
	}
	var out []recoup.ArmOutcome
	for _, o := range t.d.arms[[2]string{experiment, stratum}] {
		if o.Resolved > 0 {
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, func(a, b recoup.ArmOutcome) int { return strings.Compare(a.Arm, b.Arm) })
	return out, nil
}

// SMS consent per phone number, and what messages cost.

func (t *tx) SMSConsent(phone string) (recoup.SMSConsent, error) {
	if err := t.live("read sms consent"); err != nil {
		return recoup.SMSConsent{}, err
	}
	c, ok := t.d.consents[phone]
	if !ok {
		return recoup.SMSConsent{}, recoup.Errorf(recoup.ENOTFOUND, "no sms consent stored for the number")
	}
	return c, nil
}

func (t *tx) PutSMSConsent(c *recoup.SMSConsent) error {
	if err := t.live("store sms consent"); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return recoup.Errorf(recoup.EINVALID, "store sms consent: %w", err)
	}
	n := *c
	n.UpdatedAt = stored(n.UpdatedAt)
	if old, ok := t.d.consents[c.Phone]; ok && n.CustomerID == "" {
		n.CustomerID = old.CustomerID // a customer id once known is kept
	}
	setKey(t, t.d.consents, c.Phone, n)
	return nil
}

func (t *tx) RecordMessageCost(c recoup.MessageCost) error {
	if err := t.live("record message cost"); err != nil {
		return err
	}
	if c.MessageID == 0 || c.Channel == "" || c.At.IsZero() {
		return recoup.Errorf(recoup.EINVALID, "record message cost: message, channel and time are required")
	}
	if _, ok := t.d.costs[c.MessageID]; ok {
		return nil
	}
	c.At = stored(c.At)
	setKey(t, t.d.costs, c.MessageID, c)
	return nil
}

// ChannelCosts sums the costs recorded in [from, to) by channel and currency.
func (s *Store) ChannelCosts(ctx context.Context, from, to time.Time) ([]recoup.ChannelCost, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[[2]string]*recoup.ChannelCost{}
	for _, c := range s.d.costs {
		if c.At.UnixMicro() < from.UnixMicro() || c.At.UnixMicro() >= to.UnixMicro() {
			continue
		}
		k := [2]string{c.Channel, c.Currency}
		if sums[k] == nil {
			sums[k] = &recoup.ChannelCost{Channel: c.Channel, Currency: c.Currency}
		}
		sums[k].Messages++
		sums[k].CostMicros += c.CostMicros
	}
	var out []recoup.ChannelCost
	for _, c := range sums {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b recoup.ChannelCost) int {
		return strings.Compare(a.Channel+"\x00"+a.Currency, b.Channel+"\x00"+b.Currency)
	})
	return out, nil
}

// CasesInExperiment returns the cases that carry the experiment, by ID.
func (s *Store) CasesInExperiment(experiment string) []recoup.Case {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []recoup.Case
	for _, r := range s.d.cases {
		if r.c.Experiment == experiment {
			out = append(out, r.c.Clone())
		}
	}
	return out
}
