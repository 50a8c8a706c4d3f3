package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/recoup-hq/recoup"
	"github.com/recoup-hq/recoup/notify"
)

type recorder struct {
	got []recoup.Message
	err error
}

func (r *recorder) Send(_ context.Context, m recoup.Message) error {
	r.got = append(r.got, m)
	return r.err
}

func TestRouter(t *testing.T) {
	email, hook := &recorder{}, &recorder{err: errors.New("503")}
	r := notify.NewRouter(map[string]recoup.Notifier{"email": email, "webhook": hook, "sms": nil})
	if got := r.Channels(); len(got) != 2 || got[0] != "email" || got[1] != "webhook" {
		t.Fatalf("Channels() = %v, want [email webhook]: a nil adapter is no channel", got)
	}
	for _, tc := range []struct {
		channel  string
		wantCode string
		wantTo   *recorder
	}{
		{"email", "", email},
		{"webhook", recoup.EINTERNAL, hook}, // the adapter's own error, unchanged
		{"sms", recoup.EINVALID, nil},
		{"", recoup.EINVALID, nil},
	} {
		t.Run("channel "+tc.channel, func(t *testing.T) {
			err := r.Send(t.Context(), recoup.Message{CaseID: 1, Channel: tc.channel})
			if code := recoup.ErrorCode(err); code != tc.wantCode {
				t.Errorf("Send error %v (code %q), want code %q", err, code, tc.wantCode)
			}
			if tc.wantTo == nil && !errors.Is(err, recoup.ErrNoChannel) {
				t.Errorf("Send error %v does not wrap ErrNoChannel", err)
			}
			if tc.wantTo != nil && (len(tc.wantTo.got) == 0 || tc.wantTo.got[len(tc.wantTo.got)-1].Channel != tc.channel) {
				t.Errorf("the %s adapter did not get the message", tc.channel)
			}
		})
	}
	if len(email.got) != 1 || len(hook.got) != 1 {
		t.Errorf("email got %d, webhook got %d; want 1 each", len(email.got), len(hook.got))
	}
}

// receipter is a channel that tells what a message cost.
type receipter struct{ recorder }

func (r *receipter) SendReceipt(ctx context.Context, m recoup.Message) (recoup.Receipt, error) {
	return recoup.Receipt{ProviderID: "SM1", CostMicros: 8300, Currency: "USD"}, r.Send(ctx, m)
}

func TestRouterReceipts(t *testing.T) {
	email, sms := &recorder{}, &receipter{}
	r := notify.NewRouter(map[string]recoup.Notifier{"email": email, "sms": sms})
	if got, err := r.SendReceipt(context.Background(), recoup.Message{Channel: "sms"}); err != nil || got.CostMicros != 8300 || len(sms.got) != 1 {
		t.Errorf("sms: %+v %v", got, err)
	}
	if got, err := r.SendReceipt(context.Background(), recoup.Message{Channel: "email"}); err != nil || got != (recoup.Receipt{}) || len(email.got) != 1 {
		t.Errorf("email: %+v %v", got, err)
	}
	if _, err := r.SendReceipt(context.Background(), recoup.Message{Channel: "fax"}); !errors.Is(err, recoup.ErrNoChannel) {
		t.Errorf("fax: %v", err)
	}
}
