package dashboard

// SetPasswordCheck replaces d's password check, so that a test can hold checks in progress
// and count them.
func SetPasswordCheck(d *Dashboard, check func(hash, password string) bool) { d.checkPassword = check }
