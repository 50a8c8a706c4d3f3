package sim

import (
	"context"
	"testing"

	"github.com/recoup-hq/recoup"
)

type plainWorld struct{ World }

type takeoverWorld struct {
	World
	calls []bool
}

func (w *takeoverWorld) SetAutoAdvance(_ context.Context, _ string, on bool, _ string) error {
	w.calls = append(w.calls, on)
	return nil
}

// The engine finds recoup.TakeoverGateway on its gateway exactly when the world implements it,
// and the call reaches the world.
func TestGatewayPassesTakeover(t *testing.T) {
	if _, ok := gatewayOf(plainWorld{}, nil).(recoup.TakeoverGateway); ok {
		t.Fatal("a world without SetAutoAdvance gave the engine a takeover gateway")
	}
	w := &takeoverWorld{}
	tg, ok := gatewayOf(w, nil).(recoup.TakeoverGateway)
	if !ok {
		t.Fatal("the world's SetAutoAdvance is hidden from the engine")
	}
	if err := tg.SetAutoAdvance(context.Background(), "in_1", false, "k"); err != nil || len(w.calls) != 1 || w.calls[0] {
		t.Fatalf("calls %v, err %v", w.calls, err)
	}
}

type backupWorld struct{ takeoverWorld }

func (w *backupWorld) PaymentMethods(_ context.Context, customer string) ([]recoup.SavedMethod, error) {
	return []recoup.SavedMethod{{ID: "pm_" + customer, Type: "card"}}, nil
}

type backupOnlyWorld struct{ World }

func (backupOnlyWorld) PaymentMethods(_ context.Context, customer string) ([]recoup.SavedMethod, error) {
	return []recoup.SavedMethod{{ID: "pm_" + customer, Type: "card"}}, nil
}

// The engine finds recoup.BackupGateway on its gateway exactly when the world keeps saved
// payment methods, with or without the takeover.
func TestGatewayPassesBackup(t *testing.T) {
	if _, ok := gatewayOf(plainWorld{}, nil).(recoup.BackupGateway); ok {
		t.Fatal("a world without PaymentMethods gave the engine a backup gateway")
	}
	for _, w := range []World{&backupWorld{}, backupOnlyWorld{}} {
		g := gatewayOf(w, nil)
		bg, ok := g.(recoup.BackupGateway)
		if !ok {
			t.Fatalf("%T: the world's PaymentMethods is hidden from the engine", w)
		}
		if ms, err := bg.PaymentMethods(context.Background(), "cus_1"); err != nil || len(ms) != 1 || ms[0].ID != "pm_cus_1" {
			t.Fatalf("%T: %+v %v", w, ms, err)
		}
		_, takeover := g.(recoup.TakeoverGateway)
		_, wantTakeover := w.(recoup.TakeoverGateway)
		if takeover != wantTakeover {
			t.Errorf("%T: takeover %v, want %v", w, takeover, wantTakeover)
		}
	}
}
