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
