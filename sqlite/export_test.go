package sqlite

// SetAfterCaseRead makes s's CaseDetail call f between its read of the case and its reads of
// the case's history.
func SetAfterCaseRead(s *Store, f func()) { s.afterCaseRead = f }
