package policy

import (
	"testing"
	"time"
)

func TestSMSQuietHours(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	late := time.Date(2026, 5, 1, 23, 30, 0, 0, ny)
	morning := time.Date(2026, 5, 2, 8, 0, 0, 0, ny)
	none := Default()
	none.Campaign.QuietFrom, none.Campaign.QuietTo = 0, 0
	if got := none.OutsideQuietHoursOn("email", late, ny); !got.Equal(late) {
		t.Errorf("email without quiet hours: %v", got)
	}
	if got := none.OutsideQuietHoursOn("sms", late, ny); !got.Equal(morning) {
		t.Errorf("sms without quiet hours: %v, want %v", got, morning)
	}
	own := Default()
	own.Campaign.QuietFrom, own.Campaign.QuietTo = 22, 9
	if got := own.OutsideQuietHoursOn("sms", late, ny); !got.Equal(morning.Add(time.Hour)) {
		t.Errorf("sms with the campaign's quiet hours: %v", got)
	}
}
