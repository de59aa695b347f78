package sqlstore

import (
	"encoding/base64"
	"encoding/json"

	"github.com/latchauth/latch"
)

// cursor is where a keyset-paginated listing stopped: the sort value of the
// last row returned (nil for NULL) and its id. It travels as opaque
// base64url JSON.
type cursor struct {
	Phase int    `json:"p,omitempty"` // for listings in two parts (sort by email)
	Value *int64 `json:"v,omitempty"` // a time in Unix microseconds
	Text  string `json:"t,omitempty"`
	Null  bool   `json:"n,omitempty"`
	ID    int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor; "" is the start. A cursor that is not one
// of ours is an input error on "cursor".
func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	c := new(cursor)
	if err == nil {
		err = json.Unmarshal(b, c)
	}
	if err != nil {
		return nil, latch.Invalid("cursor", "invalid", "Not a cursor this listing returned.")
	}
	return c, nil
}

// pageLimit bounds a page size to 1…1000, 50 by default.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}
