// Package cache holds the SQLite store's in-memory caches: the case cache, which any store uses
// (checked against each row's version), and the caches of a scratch database, the simulator's,
// whose store is its file's only writer and so can answer from memory what it wrote: the
// pending events, the observation log and the key sets.
//
// They know nothing of SQL: what they hold is as a read of its row returns it (the sqlite
// package makes it so), and what they cannot answer, the caller reads from the database (a
// key set and the observation log are handed a function that does, the first time). Every
// type is safe for concurrent use, holds copies and hands out copies.
package cache
