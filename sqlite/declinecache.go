package sqlite

import (
	"sync"

	"github.com/recoup-hq/recoup"
)

// declineCacheSize bounds the decline cache. Declines repeat: a few dozen codes times the card
// brands, fundings and countries in use, so a few thousand entries hold nearly all of them.
const declineCacheSize = 4096

// declines caches the JSON of the declines the store writes and reads. Every case and attempt
// row carries one, and encoding/json's reflection was about a twentieth of the simulator's CPU
// (scanCase alone spent nearly half its time decoding them). A Decline is a comparable value of
// strings, so the cache maps value to text and text to value, and hands out copies: nothing a
// caller does to its Decline reaches the cache. It is shared by every DB in the process because
// the mapping is a pure function of the value; it is safe for concurrent use.
var declines declineCache

type declineCache struct {
	mu     sync.RWMutex
	byText map[string]recoup.Decline
	byVal  map[recoup.Decline]string
}

// value returns the decline whose JSON is s, if cached.
func (c *declineCache) value(s string) (recoup.Decline, bool) {
	c.mu.RLock()
	d, ok := c.byText[s]
	c.mu.RUnlock()
	return d, ok
}

// text returns the JSON of d, if cached.
func (c *declineCache) text(d recoup.Decline) (string, bool) {
	c.mu.RLock()
	s, ok := c.byVal[d]
	c.mu.RUnlock()
	return s, ok
}

// add records that s is the text of d: if encoded, s is json.Marshal(d), what declineArg writes
// for d; if not, s was read from a row and decodes to d. Each direction keeps only its own
// pairs: decoding Marshal's text need not give d back (invalid UTF-8 is replaced), and text read
// from a row need not be Marshal's form, so the store reads and writes byte for byte what it
// did before the cache.
func (c *declineCache) add(d recoup.Decline, s string, encoded bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byText)+len(c.byVal) >= declineCacheSize || c.byText == nil {
		// Start over rather than track use: the working set is small, so a full cache means an
		// unusual burst of distinct declines, and a cold start costs only re-encoding.
		c.byText = make(map[string]recoup.Decline, 64)
		c.byVal = make(map[recoup.Decline]string, 64)
	}
	if encoded {
		c.byVal[d] = s
	} else {
		c.byText[s] = d
	}
}
